/*
 * heritage.c: the one instance of what the master hands its workers.
 */
#include "heritage.h"

bn_heritage_t bn_heritage;
