#ifndef VGSWEEP_CZMQ_SHIM_H
#define VGSWEEP_CZMQ_SHIM_H
#include <zmq.h>
#endif
