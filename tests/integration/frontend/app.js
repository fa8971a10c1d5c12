// A small web front end for accountd, as a customer portal would be: plain
// HTML forms posted to accountd's API on another origin, with return_to,
// error_to, _version and _idempotency_key (docs/api.md, "Web front ends"). The page takes what
// it needs from its own query string: api (accountd's base URL), account,
// parent, uid, version; no_error_to=1 leaves error_to out.
(function () {
  const params = new URLSearchParams(location.search);
  const api = params.get("api") || "";
  const fill = (template) => template.replace(/\{(\w+)\}/g, (m, k) => params.get(k) || m);

  // The page itself, without what accountd appended after an error.
  const own = new URLSearchParams();
  for (const [k, v] of params) {
    if (!/^(error|status|title|detail|errors\[.*|values\[.*|omitted)$/.test(k)) own.append(k, v);
  }
  const self = location.origin + location.pathname + "?" + own.toString();

  for (const form of document.querySelectorAll("form[data-path]")) {
    form.action = api + fill(form.dataset.path);
    for (const input of form.querySelectorAll("input[data-param]")) {
      input.value = params.get(input.dataset.param) || "";
    }
    // One key per rendered page: a second click on the same page repeats
    // the first request, and accountd answers it without doing it twice.
    const key = form.querySelector("input[name=_idempotency_key]");
    if (key) key.value = crypto.randomUUID();
    const ret = form.querySelector("input[name=return_to]");
    if (ret) ret.value = location.origin + ret.dataset.page;  // {id} stays for accountd
    const err = form.querySelector("input[name=error_to]");
    if (err && params.get("no_error_to") === "1") err.remove();
    else if (err) err.value = self;
  }

  // Back from error_to: say what went wrong and fill the form in again.
  if (params.get("error")) {
    const box = document.getElementById("errors");
    const lines = [];
    lines.push(params.get("error") === "stale"
      ? "Someone else changed this account in the meantime. Reload the page and try again."
      : "Not saved: " + (params.get("detail") || params.get("title")));
    for (const [k, v] of params) {
      const m = /^errors\[(.*)\]$/.exec(k);
      if (m) lines.push(m[1] + ": " + v);
    }
    box.textContent = lines.join("\n");
    box.hidden = false;
    const form = document.querySelector("form");
    for (const [k, v] of params) {
      const m = /^values(\[.*\])$/.exec(k);
      if (!m) continue;
      // values[company][city] -> company[city]; values[roles][] -> roles
      const parts = m[1].slice(1, -1).split("][");
      const list = parts[parts.length - 1] === "";
      if (list) parts.pop();
      const name = parts[0] + parts.slice(1).map((p) => "[" + p + "]").join("");
      for (const el of form.querySelectorAll("[name='" + name + "']")) {
        if (el.type === "checkbox") el.checked = el.checked || el.value === v;
        else el.value = v;
      }
    }
  }

  // saved.html: what was saved.
  const saved = document.getElementById("saved");
  if (saved) {
    const what = [];
    for (const k of ["account", "member", "invitation"]) {
      if (params.get(k)) what.push(k + " " + params.get(k));
    }
    saved.textContent = "Saved: " + what.join(", ");
  }
})();

// For scripts (script.html): accountd's JSON API with the person's login.
async function call(method, url, body, headers) {
  try {
    const init = { method, credentials: "include", headers: headers || {} };
    if (body !== undefined) init.body = body;
    const r = await fetch(url, init);
    const text = await r.text();
    return { status: r.status, etag: r.headers.get("ETag"), text };
  } catch (e) {
    return { error: String(e) };
  }
}
