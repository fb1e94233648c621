/* SPDX-License-Identifier: ISC */
#include "gitopsd/core.h"
int
main(void)
{
	return 0;
}
