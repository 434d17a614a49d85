#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
/// Heap allocations made by the process so far (malloc, calloc, realloc, aligned allocations).
long gregor_malloc_count(void);
#endif
