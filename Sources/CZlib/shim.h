#ifndef VGSWEEP_CZLIB_SHIM_H
#define VGSWEEP_CZLIB_SHIM_H
#include <zlib.h>
#endif
