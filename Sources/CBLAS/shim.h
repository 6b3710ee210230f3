#ifndef VGSWEEP_CBLAS_SHIM_H
#define VGSWEEP_CBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS extensions (declared in Debian's openblas cblas.h; repeated here so the shim
   documents exactly what MLPKit uses). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);
#endif
