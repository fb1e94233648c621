/* SPDX-License-Identifier: ISC */
/*
 * The one place a gd_errcode becomes an HTTP status and a gRPC code (as
 * httpd maps errno in one switch). The gRPC code goes in the error body
 * because Argo CD's API is grpc-gateway, and bots written for it read
 * "code". Where Argo CD itself picks a different code for the same HTTP
 * status (it says FailedPrecondition for "operation in progress", which
 * grpc-gateway sends as 400) we keep one code per gd_errcode instead.
 *
 *   gd_errcode     HTTP  gRPC
 *   GD_EINVAL      400    3 InvalidArgument
 *   GD_ENOTFOUND   404    5 NotFound
 *   GD_ECONFLICT   409    6 AlreadyExists (exists, or already in progress)
 *   GD_EUPSTREAM   502   14 Unavailable (git, registry or cluster failed)
 *   GD_EINTERNAL   500   13 Internal
 *   GD_EDENIED     403    7 PermissionDenied
 *   GD_EUNAUTH     401   16 Unauthenticated
 *   GD_ETOOBIG     413    8 ResourceExhausted (gRPC's own "message larger
 *                           than max" code)
 *   GD_EUNAVAIL    503   14 Unavailable
 *   anything else  500   13 Internal
 */
#include "api_int.h"

static void
error_map(int code, int *http, int *grpc)
{
	switch (code) {
	case GD_OK:
		*http = 200, *grpc = 0;
		break;
	case GD_EINVAL:
		*http = 400, *grpc = 3;
		break;
	case GD_ENOTFOUND:
		*http = 404, *grpc = 5;
		break;
	case GD_ECONFLICT:
		*http = 409, *grpc = 6;
		break;
	case GD_EUPSTREAM:
		*http = 502, *grpc = 14;
		break;
	case GD_EDENIED:
		*http = 403, *grpc = 7;
		break;
	case GD_EUNAUTH:
		*http = 401, *grpc = 16;
		break;
	case GD_ETOOBIG:
		*http = 413, *grpc = 8;
		break;
	case GD_EUNAVAIL:
		*http = 503, *grpc = 14;
		break;
	case GD_EINTERNAL:
	default:
		*http = 500, *grpc = 13;
		break;
	}
}

int
gd_err_http_status(int code)
{
	int http, grpc;

	error_map(code, &http, &grpc);
	return http;
}

int
gd_err_grpc_code(int code)
{
	int http, grpc;

	error_map(code, &http, &grpc);
	return grpc;
}
