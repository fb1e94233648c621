/* SPDX-License-Identifier: ISC */
/*
 * h(tag, attrs, ...children): builds an element. Strings become text
 * nodes, so data never passes through an HTML parser; "on*" attributes
 * become event listeners (the CSP forbids inline handlers anyway).
 */
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);

	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith("on") && typeof v === "function")
			el.addEventListener(k.slice(2).toLowerCase(), v);
		else if (k === "class")
			el.className = v;
		else
			el.setAttribute(k, v === true ? "" : String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}
