// The live page: lines in progress and their running transcript, from the server-sent events.
(function () {
  const box = document.getElementById("live-lines");
  const tpl = document.getElementById("live-line-template");
  const status = document.getElementById("live-status");
  function render(line) {
    let el = document.getElementById("line-" + line.line_id);
    if (!el) {
      el = tpl.content.firstElementChild.cloneNode(true);
      el.id = "line-" + line.line_id;
      box.appendChild(el);
    }
    const empty = document.getElementById("live-empty");
    if (empty) empty.remove();
    el.querySelector(".caller").textContent = line.caller_number || "Nomor tidak diketahui";
    el.querySelector(".source").textContent = line.source === "twilio" ? "Twilio" : "Asterisk";
    el.querySelector(".state").textContent = line.ended_at ? "Selesai" : "Aktif";
    el.classList.toggle("ended", !!line.ended_at);
    el.querySelector(".finals").textContent = line.finals.join(" ");
    el.querySelector(".partial").textContent = line.partial ? " " + line.partial : "";
    const link = el.querySelector(".call-link");
    if (line.call_id) { link.hidden = false; link.textContent = "Panggilan #" + line.call_id; }
  }
  const source = new EventSource(box.dataset.events);
  source.addEventListener("snapshot", (e) => { JSON.parse(e.data).lines.forEach(render); });
  source.addEventListener("line", (e) => render(JSON.parse(e.data).line));
  source.onerror = () => { status.textContent = "Koneksi terputus, mencoba menyambung kembali…"; };
  source.onopen = () => { status.textContent = "Menampilkan saluran yang sedang aktif. Transkrip diperbarui otomatis."; };
})();
