/* SPDX-License-Identifier: ISC */
/*
 * One UTF-8 character, decoded as Go's utf8.DecodeRune does: overlong
 * forms, surrogates and code points past U+10FFFF are invalid, one byte
 * at a time, which is how Go's strings, printf and JSON encoder step
 * over bytes that are not text.
 */
#include "gitopsd/core.h"

long
gd_utf8_rune(const unsigned char *s, size_t len, size_t *n)
{
	long r;
	size_t k, i;

	*n = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xF0 && s[0] < 0xF8)
		k = 4, r = s[0] & 0x07;
	else if (s[0] >= 0xE0)
		k = 3, r = s[0] & 0x0F;
	else if (s[0] >= 0xC2)
		k = 2, r = s[0] & 0x1F;
	else
		return -1;
	if (s[0] >= 0xF8 || k > len)
		return -1;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		r = (r << 6) | (s[i] & 0x3F);
	}
	if ((k == 3 && r < 0x800) ||
	    (k == 4 && (r < 0x10000 || r > 0x10FFFF)) ||
	    (r >= 0xD800 && r < 0xE000))
		return -1;
	*n = k;
	return r;
}
