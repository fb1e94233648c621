/* SPDX-License-Identifier: ISC */
/*
 * The web shell: shows the server's version in the header, a banner when
 * the API cannot be reached, and the main area views will fill. Routing
 * is by hash (#/apps/guestbook), so the server needs no SPA fallback.
 */
import { getVersion } from "./api.js";
import { h } from "./dom.js";

const brand = document.getElementById("brand");
const banner = document.getElementById("banner");
const main = document.getElementById("main");

function showError(message) {
	banner.replaceChildren(
	    h("strong", {}, "Cannot reach the gitopsd API. "),
	    h("span", {}, message),
	    h("button", { type: "button", class: "banner-close",
		"aria-label": "Dismiss", onclick: () => { banner.hidden = true; } },
		"\u00d7"));
	banner.hidden = false;
}

function renderApps() {
	main.replaceChildren(
	    h("section", { class: "empty" },
		h("h1", {}, "Applications"),
		h("p", { class: "placeholder" },
		    "Applications will appear here")));
}

function route() {
	/* Only one view so far; unknown hashes fall back to it. */
	renderApps();
}

async function start() {
	window.addEventListener("hashchange", route);
	route();
	try {
		const v = await getVersion();
		brand.textContent = `gitopsd ${v.Version}`;
		document.title = `gitopsd ${v.Version}`;
	} catch (e) {
		showError(e.message);
	}
}

start();
