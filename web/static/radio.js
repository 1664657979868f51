// Siaran Radio: live transcript over server-sent events, caller marks by button or hotkey (N, S).
(function () {
  "use strict";
  const root = document.getElementById("radio");
  if (!root || root.dataset.live !== "1") return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const transcript = document.getElementById("transcript");
  const partial = document.getElementById("partial");
  const suggestions = document.getElementById("suggestions");
  const segments = document.getElementById("segments");
  const openSegment = document.getElementById("open-segment");
  const nameInput = document.getElementById("caller-name");
  const clock = document.getElementById("clock");

  function mmss(s) {
    const m = Math.floor(s / 60), r = Math.floor(s % 60);
    return String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
  }
  function line(cls, at, text) {
    const p = document.createElement("p");
    p.className = cls;
    const t = document.createElement("time");
    t.textContent = mmss(at);
    p.append(t, " ", text);
    transcript.append(p);
    transcript.scrollTop = transcript.scrollHeight;
    return p;
  }
  async function act(action, extra) {
    const body = new URLSearchParams(Object.assign({ action: action, name: nameInput ? nameInput.value : "" }, extra || {}));
    const res = await fetch(root.dataset.mark, { method: "POST", body: body, headers: { "X-CSRFToken": csrf } });
    return res.ok ? res.json() : null;
  }
  root.querySelectorAll("button[data-action]").forEach((b) => b.addEventListener("click", () => act(b.dataset.action)));
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.ctrlKey || e.altKey || e.metaKey) return;
    if (e.key === "n" || e.key === "N") { act("new"); e.preventDefault(); }
    if (e.key === "s" || e.key === "S") { act("end"); e.preventDefault(); }
  });

  const source = new EventSource(root.dataset.events);
  const on = (kind, fn) => source.addEventListener(kind, (e) => { if (e.data) fn(JSON.parse(e.data)); });
  on("partial", (d) => { partial.textContent = d.text; clock.textContent = mmss(d.at_s); });
  on("final", (d) => { partial.textContent = ""; line("final", d.at_s, d.text); });
  on("segment_open", (d) => {
    openSegment.textContent = "#" + d.segment + " sejak " + mmss(d.at_s) + (d.name ? " — " + d.name : "");
    line("mark", d.at_s, "▶ Penelepon baru #" + d.segment);
  });
  on("segment_named", (d) => { openSegment.textContent = "#" + d.segment + " — " + d.name; });
  on("segment_closed", (d) => { openSegment.textContent = "—"; line("mark", d.at_s, "■ Selesai #" + d.segment); });
  on("segment_stored", (d) => {
    const li = document.createElement("li");
    li.dataset.segment = d.segment;
    li.textContent = mmss(d.start_s) + "–" + mmss(d.end_s) + " · panggilan #" + d.call_id + (d.text ? " · " + d.text : "");
    segments.append(li);
  });
  on("suggestion", (d) => {
    const li = document.createElement("li");
    li.id = "suggestion-" + d.suggestion;
    const why = d.reason === "music" ? "musik/jingle" : "jeda panjang";
    li.textContent = mmss(d.end_s) + " → " + mmss(d.start_s) + " (" + why + ") ";
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "Terima";
    b.addEventListener("click", () => act("accept", { suggestion: d.suggestion }));
    li.append(b);
    suggestions.append(li);
  });
  on("suggestion_done", (d) => { const li = document.getElementById("suggestion-" + d.suggestion); if (li) li.remove(); });
  on("gap", (d) => line("gap", d.at_s, "⚠ Sumber terputus " + d.lost_s.toFixed(1) + " dtk (" + d.reason + ")"));
  on("error", (d) => { if (d && d.message) line("error", d.at_s, d.message); });
  const statusEl = document.getElementById("show-status");
  const errorEl = document.getElementById("show-error");
  const stopForm = root.querySelector("form.radio-stop");
  if (stopForm) {
    stopForm.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!window.confirm("Hentikan siaran sekarang? Penelepon yang sedang berbicara disimpan.")) return;
      stopForm.querySelector("button").disabled = true;
      act("stop");
    });
  }
  on("status", (d) => {
    statusEl.textContent = d.label || d.status;
    statusEl.className = "show-status " + d.status;
    if (d.status === "stopping" && stopForm) stopForm.querySelector("button").disabled = true;
    if (d.status !== "finished" && d.status !== "failed") return;
    if (d.error) { errorEl.textContent = d.error; errorEl.hidden = false; }
    if (d.stopped_by) statusEl.after(" · dihentikan oleh " + d.stopped_by);
    line("mark", d.at_s, d.status === "failed" ? "Siaran gagal: " + (d.error || "") : "Siaran selesai.");
    root.querySelectorAll(".radio-controls, #open-segment").forEach((el) => { el.closest("p, div").hidden = true; });
    document.getElementById("resegment").hidden = false;
    source.close();
  });
})();
