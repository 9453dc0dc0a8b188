#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  size_t len=(size_t)atol(argv[2]);
  if(!strcmp(argv[1],"hold")){ char*b=calloc(len,1); memset(b,1,len); printf("%d %p\n",getpid(),(void*)b); fflush(stdout); pause(); return 0;}
  // read PID ADDR LEN REPS
  int pid=atoi(argv[3]); unsigned long addr=strtoul(argv[4],0,16); int reps=atoi(argv[5]);
  char*d=calloc(len,1); memset(d,2,len);
  double best=1e9,sum=0;
  for(int r=0;r<reps;r++){struct iovec l={d,len},rm={(void*)addr,len}; double t=now(); ssize_t n=process_vm_readv(pid,&l,1,&rm,1,0); t=now()-t; if(n!=(ssize_t)len){perror("readv");return 1;} if(t<best)best=t; sum+=t; fprintf(stderr,"%.1f ",t*1e3);}
  printf("dst_offset=%lu src_offset=%lu best_ms=%.3f mean_ms=%.3f GBps=%.2f\n",(unsigned long)d%4096,addr%4096,best*1e3,sum/reps*1e3,len/best/1e9);
  return 0;}
