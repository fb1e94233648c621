/* SPDX-License-Identifier: ISC */
#pragma once
