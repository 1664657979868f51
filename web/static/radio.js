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
  // A line goes where its show time puts it: a sentence is recognised only once it has ended, after the marks
  // made while it was spoken, and a reload replays every event.
  function line(cls, at, text) {
    const p = document.createElement("p");
    p.className = cls;
    p.dataset.at = at;
    const t = document.createElement("time");
    t.textContent = mmss(at);
    p.append(t, " ", text);
    let next = null;
    for (let el = transcript.lastElementChild; el && Number(el.dataset.at) > at; el = el.previousElementSibling) next = el;
    transcript.insertBefore(p, next);
    if (!next) transcript.scrollTop = transcript.scrollHeight;
    return p;
  }

  // The name box belongs to the caller on air: it shows their name, and is emptied when they go off air, so no
  // name is carried to the next caller. A name typed while nobody is on air is for the caller about to start.
  let onAir = null; // { segment, name } of the caller on air
  function setName(value) { if (nameInput) nameInput.value = value; }
  function typedName() { return nameInput ? nameInput.value.trim() : ""; }
  async function post(fields) {
    const body = new URLSearchParams(fields);
    const res = await fetch(root.dataset.mark, { method: "POST", body: body, headers: { "X-CSRFToken": csrf } });
    return res.ok ? res.json() : null;
  }
  async function act(action, extra) {
    const fields = Object.assign({ action: action }, extra || {});
    if (action === "name") fields.name = typedName();
    // New caller, done and stop all take the caller on air off air: a name typed for them is saved first.
    if (action === "new" || action === "end" || action === "stop") {
      const typed = typedName();
      setName("");
      if (onAir && typed && typed !== onAir.name) await post({ action: "name", name: typed }); // typed for them, not saved yet
      if (action === "new" && !onAir) fields.name = typed;
      if (action !== "new") onAir = null; // before the event says so: a name typed now is for the next caller
    }
    return post(fields);
  }
  root.querySelectorAll("button[data-action]").forEach((b) => b.addEventListener("click", () => act(b.dataset.action)));
  if (nameInput) {
    nameInput.addEventListener("keydown", (e) => { if (e.key === "Enter") { act("name"); e.preventDefault(); } });
  }
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
    onAir = { segment: d.segment, name: d.name || "" };
    setName(onAir.name);
    openSegment.textContent = "#" + d.segment + " sejak " + mmss(d.at_s) + (d.name ? " — " + d.name : "");
    line("mark", d.at_s, "▶ Penelepon baru #" + d.segment);
  });
  on("segment_named", (d) => {
    if (onAir && onAir.segment === d.segment) onAir.name = d.name;
    openSegment.textContent = "#" + d.segment + " — " + d.name;
  });
  on("segment_closed", (d) => {
    if (onAir && onAir.segment === d.segment) { onAir = null; setName(""); }
    openSegment.textContent = "—";
    line("mark", d.at_s, "■ Selesai #" + d.segment);
  });
  on("segment_stored", (d) => {
    if (segments.querySelector('li[data-segment="' + d.segment + '"]')) return; // listed by the page already (a reload)
    // the row radio_show.html lists after the show: number, name, span, draft (or its state), live text
    const li = document.createElement("li");
    li.dataset.segment = d.segment;
    li.append("#" + d.segment + " " + (d.name || "Penelepon") + " · " + mmss(d.start_s) + "–" + mmss(d.end_s) + " · ");
    if (d.draft_id) {
      const a = document.createElement("a");
      a.href = segments.dataset.draftBase + d.draft_id;
      a.textContent = "draf #" + d.draft_id;
      li.append(a);
    } else {
      const state = document.createElement("span");
      state.className = "segment-state";
      state.textContent = "sedang ditranskripsi";
      li.append(state);
    }
    if (d.text) {
      const text = document.createElement("p");
      text.className = "segment-text";
      text.textContent = d.text;
      li.append(text);
    }
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
  const stoppedBy = document.getElementById("stopped-by");
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
    if (d.stopped_by) { stoppedBy.textContent = "· dihentikan oleh " + d.stopped_by; stoppedBy.hidden = false; }
    line("mark", d.at_s, d.status === "failed" ? "Siaran gagal: " + (d.error || "") : "Siaran selesai.");
    root.querySelectorAll(".radio-controls, #open-segment").forEach((el) => { el.closest("p, div").hidden = true; });
    document.getElementById("resegment").hidden = false;
    document.getElementById("transcript-note").hidden = false;
    source.close();
  });
})();
