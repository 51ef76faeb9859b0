#!/usr/bin/env bash
# Issues development certificates: a local CA (created once) and one certificate per storefront domain,
# valid for the domain and its www. name, in the layout the edge reads (<dir>/<domain>/tls.crt, tls.key).
#   deploy/certs.sh DIR DOMAIN...
set -euo pipefail
dir=$1; shift
mkdir -p "$dir"
if [ ! -s "$dir/ca.crt" ] || [ ! -s "$dir/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=Storefront Edge Dev CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
fi
for domain in "$@"; do
  out="$dir/$domain"
  if [ -s "$out/tls.crt" ] && [ -s "$out/tls.key" ]; then continue; fi
  mkdir -p "$out"
  ext=$(mktemp)
  printf 'subjectAltName=DNS:%s,DNS:www.%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
    "$domain" "$domain" > "$ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$domain" \
    -keyout "$out/tls.key.tmp" -out "$out/tls.csr" 2>/dev/null
  openssl x509 -req -in "$out/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 397 -extfile "$ext" -out "$out/tls.crt.tmp" 2>/dev/null
  rm -f "$ext" "$out/tls.csr"
  # Key first, then certificate, each renamed into place: a reader never sees a half-written pair.
  mv "$out/tls.key.tmp" "$out/tls.key"
  mv "$out/tls.crt.tmp" "$out/tls.crt"
done
