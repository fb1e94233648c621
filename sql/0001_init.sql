-- SPDX-License-Identifier: ISC
SELECT 1;
