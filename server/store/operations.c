/* SPDX-License-Identifier: ISC */
#include "gitopsd/core.h"
