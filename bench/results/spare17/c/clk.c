#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(){struct timespec t,a,b; for(int k=0;k<3;k++){clock_gettime(CLOCK_MONOTONIC,&a); for(int i=0;i<10000;i++) clock_gettime(CLOCK_MONOTONIC,&t); clock_gettime(CLOCK_MONOTONIC,&b);
printf("clock_gettime: %.3f us\n",((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e4/1e3);
clock_gettime(CLOCK_MONOTONIC,&a); for(int i=0;i<10000;i++) syscall(SYS_getppid); clock_gettime(CLOCK_MONOTONIC,&b);
printf("syscall getppid: %.3f us\n",((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e4/1e3);}}
