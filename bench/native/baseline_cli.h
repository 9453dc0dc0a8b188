/* What the C baselines of bench/native share: the command line "--class X [--repeats R]". */
#ifndef MITTEN_BASELINE_CLI_H
#define MITTEN_BASELINE_CLI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads "--class X" (into *name, upper case) and "--repeats R" (into *repeats). On anything
   else rank 0 prints "usage: PROGRAM --class S|W|A|B|C [--repeats R]" and it returns 0. */
static int parse_class_args(int argc, char **argv, int rank, const char *program, char *name, int *repeats)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--class") && i + 1 < argc) *name = argv[++i][0];
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) *repeats = atoi(argv[++i]);
        else {
            if (rank == 0) fprintf(stderr, "usage: %s --class S|W|A|B|C [--repeats R]\n", program);
            return 0;
        }
    }
    if (*name >= 'a') *name -= 'a' - 'A';
    return 1;
}

#endif
