#ifndef STOREFRONT_CHIREDIS_SHIM_H
#define STOREFRONT_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
