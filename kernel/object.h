/* SPDX-License-Identifier: MIT */
/* Kernel objects by type: how big each is, how retype makes one, how the last capability's
 * deletion destroys it. */
#ifndef OBJECT_H
#define OBJECT_H

#include "cspace.h"

/*
 * log2 of the bytes an object of type with the given retype size_bits takes, or -1 if
 * that type cannot be retyped or size_bits is out of range for it.
 */
int object_size_bits(unsigned type, unsigned size_bits);

/* Make the object: zero its memory and initialise it; the capability for it in *cap. */
void object_create(unsigned type, unsigned size_bits, paddr_t obj, struct cap *cap);

#endif
