// SPDX-License-Identifier: MIT
/* version.c - the version of the library a program runs with. */
#include "tulpen/version.h"

const char *tulpen_version(void)
{
	return TULPEN_VERSION_STRING;
}
