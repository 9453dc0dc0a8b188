#include <mpi.h>
#include <stdio.h>
#include <time.h>
static double now_ms(void){struct timespec t;clock_gettime(CLOCK_REALTIME,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
int main(int c,char**v){double a=now_ms();MPI_Init(&c,&v);double b=now_ms();printf("init_ms=%.1f\n",b-a);MPI_Finalize();return 0;}
