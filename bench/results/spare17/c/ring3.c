#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <immintrin.h>
static double cpu(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
#define MB (1L<<20)
static int fd; static char*mine;
static void childwrite(int v){ if(fork()==0){ char*w=mmap(0,2*MB,3,MAP_SHARED,fd,0); memset(w,v,2*MB); _exit(0);} wait(0);}
static void loop8(char*d,const char*s,long n){ for(long i=0;i<n;i+=8) *(volatile uint64_t*)(d+i)=*(const uint64_t*)(s+i);}
static void avx(char*d,const char*s,long n){ for(long i=0;i<n;i+=32) _mm256_storeu_si256((__m256i*)(d+i),_mm256_loadu_si256((const __m256i*)(s+i)));}
static void movsb(char*d,const char*s,long n){ asm volatile("rep movsb":"+D"(d),"+S"(s),"+c"(n)::"memory");}
int main(){
  fd=memfd_create("ring",0); ftruncate(fd,2*MB);
  mine=mmap(0,2*MB,3,MAP_SHARED,fd,0); memset(mine,0,2*MB);
  char*dst=malloc(4*MB); memset(dst,1,4*MB);
  double t;
  childwrite(2); t=cpu(); memcpy(dst,mine,2*MB); printf("memcpy   %.3f\n",cpu()-t);
  childwrite(3); t=cpu(); loop8(dst,mine,2*MB); printf("loop8    %.3f\n",cpu()-t);
  childwrite(4); t=cpu(); avx(dst,mine,2*MB); printf("avx      %.3f\n",cpu()-t);
  childwrite(5); t=cpu(); movsb(dst,mine,2*MB); printf("movsb    %.3f\n",cpu()-t);
  childwrite(6); t=cpu(); movsb(dst,mine,2*MB); printf("movsb2   %.3f\n",cpu()-t);
  childwrite(7); t=cpu(); for(long o=0;o<2*MB;o+=4096) movsb(dst+o,mine+o,4096); printf("movsb/4K %.3f\n",cpu()-t);
  childwrite(8); t=cpu(); memcpy(dst,mine,2*MB); printf("memcpy   %.3f\n",cpu()-t);
  t=cpu(); memcpy(dst,mine,2*MB); printf("memcpy again (no child write) %.3f\n",cpu()-t);
  return 0;
}
