/* SPDX-License-Identifier: ISC */
/*
 * The only caller of fetch(). A failed call throws an ApiError carrying
 * the message of gitopsd's error body ({"error","code","message"}, Argo
 * CD's shape), the HTTP status and the gRPC code, so views show the
 * server's own words.
 */
export class ApiError extends Error {
	constructor(message, status, code) {
		super(message);
		this.name = "ApiError";
		this.status = status;
		this.code = code;
	}
}

export async function request(method, path, body) {
	const init = {
		method,
		headers: { Accept: "application/json" },
		credentials: "same-origin",
	};
	let resp;

	if (body !== undefined) {
		init.headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(body);
	}
	try {
		resp = await fetch(path, init);
	} catch (e) {
		throw new ApiError(`${method} ${path}: ${e.message}`, 0, 14);
	}
	const text = await resp.text();
	let data = null;
	try {
		data = text === "" ? null : JSON.parse(text);
	} catch {
		/* A proxy's HTML error page: fall back to the status line. */
		data = null;
	}
	if (!resp.ok) {
		const msg = (data && (data.message || data.error)) ||
		    `${resp.status} ${resp.statusText}`;
		throw new ApiError(msg, resp.status, data ? data.code : undefined);
	}
	return data;
}

export function getVersion() {
	return request("GET", "/api/version");
}
