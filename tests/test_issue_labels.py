"""Readable issue labels: the problem as a short phrase and the kecamatan, never a single reporter's word; issues
that read the same are merged; every issue links to its complaints."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables
from models import analytics as an
from models import issue_labels as labels
from models import issues, problem_vocabulary
from models.entities import Place, Topic
from tests.conftest import login
from tests.console_data import make_complaint, past

RULES = labels.LabelRules(issues.label_word)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Jalan rusak parah di depan balai desa", "jalan rusak dan banyak lubang", "Jalannya rusak, jalan berlubang",
          "jalan berlubang besar", "jalan rusak berlubang mohon diperbaiki"], "jalan rusak dan berlubang"),
        (["Air PDAM tidak mengalir tiga hari", "air pdam tidak mengalir sejak senin", "PDAM tidak mengalir lagi"],
         "pdam tidak mengalir"),
        (["antrean panjang di puskesmas", "puskesmas antrean panjang sekali", "antrean panjang, puskesmas penuh"],
         "antrean panjang di puskesmas"),
    ],
)
def test_the_problem_reads_as_a_phrase(texts: list[str], expected: str) -> None:
    assert labels.problem_phrase(texts, None, RULES) == expected


@pytest.mark.parametrize(
    ("texts", "titles", "topic", "expected"),
    [  # the first blind read's misses, in small
        (["Assallamualaikum, gaji pegawai belum cair", "Assallamualaikum. gaji bulan ini belum cair"], [], "",
         "gaji belum cair"),  # a greeting is no problem
        (["Identitas pada kartu tidak sesuai", "Data di kartu tidak sesuai dengan ijazah"], [], "",
         "kartu tidak sesuai"),  # "tidak sesuai" alone is a fragment: the subject said before it joins
        (["Air sudah 3 bulan lebih tidak mengalir di Jl. Kenanga"], [], "", "air tidak mengalir"),
        (["Permohonan perbaikan tiang listrik. Tiang listrik miring di depan rumah"],
         ["Permohonan Perbaikan Tiang Listrik"], "", "perbaikan tiang listrik"),  # what the title asks for
        (["Mohon segera ditindaklanjuti, terima kasih", "Tolong ditindaklanjuti pak"], [], "Kesehatan",
         "masalah kesehatan"),  # nothing names the problem: the topic, not a stray word
        (["Jl. Gajahmada banyak parkir liar", "Gajahmada parkir liar tiap malam"], [], "", "parkir liar"),
    ],
)
def test_labels_name_a_subject_and_what_is_wrong(texts: list[str], titles: list[str], topic: str, expected: str) -> None:
    assert labels.problem_phrase(texts, None, RULES, titles, topic) == expected


@pytest.mark.parametrize(
    ("texts", "titles", "expected"),
    [  # the second blind read's misses and the tune half's, in small: a place's name never labels the problem
        (["Saluran air di jalan Sumbing tersumbat"], [], "saluran air tersumbat"),  # "jalan Sumbing" says where
        (["Jl. Gajahmada banyak parkir liar. Parkir liar di Jl. Gajahmada tiap malam"], [], "parkir liar"),
        (["Selokan restoran yang di depan stasiun Poncol kotor dan bau sekali"], [],
         "selokan restoran stasiun kotor"),  # a capital inside a sentence written in sentence case: a name
        (["[Musi Banyuasin] Raskin belum diterima"], [], "raskin belum diterima"),  # a region tag
        (["Tertibkan area pasar dari PKL. Pedagang kaki lima memenuhi trotoar"], ["Tertibkan area pasar dari PKL"],
         "penertiban pkl di pasar"),  # a request said as a verb is named by its noun
        (["Rumah saya di Jl. Borobudur Timur telah mengalami longsor"], [], "rumah longsor"),  # no "telah mengalami"
        (["Jl Pemuda dibuat satu arah kenapa malah tambah macet"], [], "macet"),
        (["Pengamen dan pengemis sepanjang Jalan Majapahit mengganggu"], [], "pengamen"),
        (["Kebijakan arus lalu lintas di Semarang"], ["Kebijakan arus lalu lintas di Semarang"],
         "arus lalu lintas"),  # "lalu lintas" is one thing
        (["Banjir kanal timur membludak"], [], "banjir kanal"),  # a direction says where
        (["Lampu jalan mati sejak minggu lalu, kami mohon segera diperbaiki karena anak-anak lewat ke masjid"], [],
         "pju mati"),  # a facility is named only when said near the problem
        (["mau tanya e-ktp saya udah jadi belom ya?", "Apakah e-ktp atas nama [nama] sudah jadi?"], [],
         "e-ktp belum selesai"),  # asking whether it is done: it is not done yet
    ],
)
def test_places_and_clause_words_never_label(texts: list[str], titles: list[str], expected: str) -> None:
    assert labels.problem_phrase(texts, None, RULES, titles, "Topik") == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [  # a bare thing is labelled with what is wrong with it, when most reports say it (each in their own words)
        (["air pdam mati tiga hari", "aliran air pdam tidak mengalir berhari hari", "pdam tidak keluar airnya"],
         "Air PDAM tidak mengalir"),
        (["Belum mendapat bantuan PKH", "PKH belum diterima sampai sekarang"], "Tidak mendapat bantuan sosial"),
        (["PKH tidak tepat sasaran di desa kami", "penerima PKH salah sasaran"], "PKH salah sasaran"),
        (["Kriteria PKH apa saja", "PKH belum diterima sampai sekarang", "PKH untuk lansia"], "pkh"),  # one of three
    ],
)
def test_a_bare_thing_is_labelled_with_what_most_reports_say_is_wrong(texts: list[str], expected: str) -> None:
    assert labels.issue_name(texts, None, RULES) == expected


def test_a_title_in_title_case_keeps_its_capitalised_words() -> None:
    # Capitals mark names only in a sentence written in sentence case: "Cara Mendapatkan KKS" keeps every word.
    assert labels.tokens("Cara Mendapatkan KKS. Bagaimana cara mendapatkan kartu sejahtera bagi keluarga baru?")[:3] == [
        "cara", "mendapatkan", "kks"]  # fmt: skip
    assert "kedungadem" in labels.tokens("Jl. Kedungadem", keep_names=True)


def test_negations_stay_and_never_end_a_phrase() -> None:
    assert "air mengalir" not in labels.phrases("air tidak mengalir")
    assert "pdam tidak" not in labels.phrases("pdam tidak")
    assert "air tidak mengalir" in labels.phrases("Air tidak mengalir.")


def test_a_word_one_reporter_used_never_labels() -> None:
    # "sukarjono" (a rare word: a name) is in one complaint of the cluster only: no phrase with it may label
    ranked = labels.ranked_phrases(["jalan rusak depan rumah sukarjono", "jalan rusak parah"], None, RULES)
    assert ranked and all("sukarjono" not in p for _, p in ranked)
    assert labels.display("air pdam keruh") == "Air PDAM keruh"
    assert labels.make_label("", "Kec. Balen") == "(tanpa kata kunci) · Kec. Balen"


def test_place_names_do_not_label_the_problem() -> None:
    texts = ["banjir di ngumpakdalem", "ngumpakdalem banjir lagi", "banjir ngumpakdalem"]
    rules = labels.LabelRules(issues.label_word, frozenset({"ngumpakdalem"}))
    assert labels.problem_phrase(texts, None, rules) == "banjir"


def _complaints(session, settings, texts, days=3):  # noqa: ANN001, ANN202
    made = []
    for title, description in texts:
        c = make_complaint(session, settings, "terdisposisi", title=title, received_at=past(days))
        c.description = description
        made.append(c)
    session.flush()
    return made


def test_recluster_labels_name_problem_and_kecamatan(session, settings, users) -> None:  # noqa: ANN001
    _complaints(session, settings, [
        ("Jalan rusak", "jalan rusak dan berlubang di dusun krajan, nama saya Sukarjono"),
        ("Jalan berlubang", "jalan berlubang besar, jalan rusak parah"),
        ("Jalan rusak berlubang", "mohon jalan rusak diperbaiki, jalan berlubang bahaya"),
        ("Lampu jalan mati", "lampu penerangan jalan mati sudah sebulan"),
        ("Lampu penerangan mati", "penerangan jalan umum mati gelap, lampu mati"),
    ])  # fmt: skip
    session.commit()
    an.recluster(session)
    session.commit()
    place = session.scalars(select(Place).where(Place.kind == "desa").order_by(Place.id)).first()
    kecamatan = session.get(Place, place.parent_id).name
    found = sorted(i.label for i in session.scalars(select(issues.Issue)))
    # every complaint is placed in one desa: the label says it before the kecamatan (tests/test_issue_spots.py)
    assert found == sorted([f"Jalan rusak · Desa {place.name}, Kec. {kecamatan}",
                            f"Lampu jalan mati · Desa {place.name}, Kec. {kecamatan}"]), found  # fmt: skip
    assert not any(re.search("sukarjono", label, re.IGNORECASE) for label in found)


def test_near_identical_issues_are_merged() -> None:
    texts = ["kios pasar kumuh dan sempit", "kios pasar kumuh sempit sekali", "pasar kumuh, kios sempit",
             "kios pasar kumuh dan sempit", "pasar becek kios kumuh sempit"]  # fmt: skip
    # No problem of the table: a threshold so strict that average linkage leaves several clusters, and their
    # centroids' similarity merges them.
    merged = issues.group_clusters(texts, [(1, 1)] * len(texts), threshold=0.95)
    apart = issues.group_clusters(texts, [(1, 1)] * len(texts), threshold=0.95, merge_similarity=2.0)
    assert len(merged.clusters) < len(apart.clusters)
    assert any(len(c) >= 3 for c in merged.clusters)



def test_complaints_of_one_canonical_problem_in_one_kecamatan_are_one_issue() -> None:
    # Four people tell of one flood in their own words: the words they share are too few for the similarity, but
    # each says the problem, and a Kepala Dinas must see one issue, not four issues all named "Banjir".
    texts = ["Banjir luapan Bengawan Solo masuk rumah warga, mohon perahu karet",
             "air bah sampai lutut, kami mengungsi di balai desa sejak kemarin",
             "Desa kami kebanjiran lagi, sawah terendam semua dan jalan ke kecamatan putus",
             "tolong posko banjir di mana, lansia belum dievakuasi",
             "Pupuk subsidi langka di kios, petani tidak bisa memupuk padi"]  # fmt: skip
    grouping = issues.group_clusters(texts, [(1, 1)] * len(texts))
    assert sorted(map(len, grouping.clusters)) == [1, 4]
    assert sorted(grouping.phrases) == ["Banjir", "Pupuk langka atau mahal"]
    apart = issues.group_clusters(texts[:4], [(1, 1), (1, 1), (1, 2), (1, 2)])
    assert len(apart.clusters) == 2  # never across kecamatan


def test_one_problem_routed_to_two_topics_in_one_kecamatan_is_one_issue() -> None:
    # Operators route one flood to "bencana" and to "sumber daya air": the Kepala Dinas must not read "Banjir ·
    # Kec. Kanor" twice. The issue keeps the topic most of its complaints have.
    texts = ["Banjir luapan Bengawan Solo masuk rumah warga, mohon perahu karet",
             "air bah sampai lutut, kami mengungsi di balai desa sejak kemarin",
             "Desa kami kebanjiran lagi, sawah terendam semua dan jalan ke kecamatan putus",
             "Lampu jalan mati di depan balai desa, gelap sekali"]  # fmt: skip
    grouping = issues.group_clusters(texts, [(1, 1), (1, 1), (2, 1), (2, 1)])
    assert sorted(map(len, grouping.clusters)) == [1, 3]
    flood = next(k for k, c in enumerate(grouping.clusters) if len(c) == 3)
    assert grouping.groups[flood] == (1, 1) and grouping.phrases[flood] == "Banjir"
    # a phrase that is no problem of the table says too little to join two topics
    chat = ["pelayanan kantor kurang ramah sekali", "pelayanan kantor kurang ramah, petugas cuek"]
    assert len(issues.group_clusters(chat, [(1, 1), (2, 1)], threshold=2.0, merge_similarity=2.0).clusters) == 2


def test_a_small_issue_nothing_names_joins_the_issue_of_its_place_and_topic() -> None:
    texts = ["Jalan poros Kedungadem rusak parah, banyak lubang", "jalan ke babad rusak berlubang sedengkul",
             "jalan kabupaten rusak, motor jatuh di lubang",
             "mas niki dalan ke babad pripun to, ambulan lewat goyang goyang"]  # fmt: skip
    grouping = issues.group_clusters(texts, [(1, 1)] * 4, threshold=0.99, merge_similarity=2.0)
    assert sorted(map(len, grouping.clusters)) == [4] and grouping.phrases == ["Jalan rusak"]


def test_a_new_complaint_the_table_does_not_name_joins_the_issue_of_its_place_and_topic(session, settings, users) -> None:  # noqa: ANN001
    _complaints(session, settings, [
        ("Jalan rusak", "jalan poros kedungadem rusak parah, banyak lubang"),
        ("Jalan berlubang", "jalan ke babad rusak berlubang sedengkul, motor jatuh")])  # fmt: skip
    session.commit()
    fact = session.scalars(select(an.ComplaintFact)).first()
    text = "mas niki dalan ning desa kulo pripun to, ambulan goyang goyang mawon"
    placed = issues.assign(session.connection(), text, fact.topic_id, fact.kecamatan_id, 0)
    assert (placed.issue_id, placed.opened) == (fact.issue_id, False)
    other = issues.assign(session.connection(), "acara pengajian akbar di masjid agung", fact.topic_id, fact.kecamatan_id, 0)
    assert other.opened  # nothing in common: an issue of its own


def test_issues_merged_are_named_anew_and_merged_again() -> None:
    # six calls about one Kanor flood (read I): one also speaks of the dike, one of land compensation, so the first
    # clusters named "Talud …" and "Ganti rugi …" joined flood clusters only by similarity; named anew, they are
    # all "Banjir" and one issue, not three issues that all read "Banjir · Kec. Kanor"
    path = Path(__file__).parent / "data" / "issue_reads" / "heldout9" / "reports.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    flood = [r for r in rows if r["id"] in {"U012", "U021", "U033", "U066", "U070", "U089"}]
    texts = [issues.issue_text(r["title"], r["text"], r["reporter_name"]) for r in flood]
    grouping = issues.group_clusters(texts, [(1, 1)] * len(texts), titles=[r["title"] for r in flood])
    assert grouping.phrases == ["Banjir"], grouping.phrases


def test_the_smaller_part_of_a_split_issue_joins_the_issue_whose_problem_it_also_says() -> None:
    # reads O and AD: ID cards recorded months ago and not printed; a call that also says the kecamatan's e-KTP
    # service stopped was an issue of its own, "Layanan e-KTP di kecamatan terhenti", though it says the card is late
    late = ["e-ktp saya sudah rekam empat bulan belum jadi, katanya blangko habis",
            "ktp el anak saya belum jadi sejak rekam bulan juni",
            "e-ktp belum jadi padahal sudah rekam lama, mau daftar kerja"]
    also = ["sudah rekam tiga bulan e-ktp belum jadi, pelayanan e-ktp di kecamatan terhenti karena alat rusak"]
    assert labels.canonical_problem(also) == "Layanan e-KTP di kecamatan terhenti"  # alone, its own name
    grouping = issues.group_clusters(late + also, [(1, 1)] * 4, threshold=0.99)
    assert grouping.phrases == ["e-KTP belum jadi"], grouping.phrases


def test_a_new_complaint_joins_the_issue_of_its_problem_routed_to_another_topic(session, settings, users) -> None:  # noqa: ANN001
    (first,) = _complaints(session, settings, [
        ("Banjir", "banjir luapan bengawan solo masuk rumah warga, mohon perahu karet")])  # fmt: skip
    session.commit()
    fact = session.get(an.ComplaintFact, first.id)
    bencana = session.scalars(select(Topic).where(Topic.key == "bencana")).one()
    assert bencana.id != fact.topic_id
    placed = issues.assign(session.connection(), "desa kami kebanjiran lagi, air bah sampai lutut, kami mengungsi",
                           bencana.id, fact.kecamatan_id, 0)
    assert (placed.issue_id, placed.opened) == (fact.issue_id, False)
    relief = issues.assign(session.connection(), "kami kebanjiran tiga hari, bantuan logistik belum sampai ke dusun",
                           bencana.id, fact.kecamatan_id, 0)  # of the flood's family, under the other topic
    assert (relief.issue_id, relief.opened) == (fact.issue_id, False)
    road = issues.assign(session.connection(), "jalan desa rusak berlubang", bencana.id, fact.kecamatan_id, 0)
    assert road.opened  # another problem opens its own issue

def test_every_issue_links_to_its_complaints(client, session, settings, users) -> None:  # noqa: ANN001
    made = _complaints(session, settings, [
        ("Jalan rusak", "jalan rusak berlubang"), ("Jalan rusak", "jalan rusak berlubang parah"),
        ("Lampu mati", "lampu jalan mati gelap"), ("Lampu mati", "lampu penerangan jalan mati"),
    ])  # fmt: skip
    session.commit()
    an.recluster(session)
    session.commit()
    login(client, "viewer")
    page = client.get("/dasbor/isu?periode=30").text
    links = set(re.findall(r'href="/konsol/pengaduan\?isu=(\d+)"', page))
    assert len(links) == 2
    for issue_id in links:
        members = {f.complaint_id for f in session.scalars(select(an.ComplaintFact).where(an.ComplaintFact.issue_id == int(issue_id)))}
        listing = client.get(f"/konsol/pengaduan?isu={issue_id}").text
        shown = {c.id for c in made if f'id="complaint-{c.id}"' in listing or f"/konsol/pengaduan/{c.id}\"" in listing}
        assert shown == members and len(members) == 2
        label = session.get(issues.Issue, int(issue_id)).label
        assert label in listing


@pytest.mark.parametrize(
    ("texts", "titles", "expected"),
    [  # a canonical problem, whatever the words, their form and their order
        (["Jalannya sudah lama rusak parah", "jalan di depan sekolah berlobang", "Aspal jalan desa ambles"], [],
         "Jalan rusak"),
        (["Dana PKH saya belum juga cair", "PKH tahap 3 tidak cair sampai sekarang"], [], "Bantuan PKH belum cair"),
        (["Antrian di RSUD lama sekali, berjam jam", "ngantri di rsud dari subuh, antrean panjang"], [],
         "Antrean lama di RSUD"),
        (["Anak saya belum mendapat KIP padahal keluarga miskin"], [], "Belum menerima KIP"),
        (["E-KTP saya belum jadi katanya blanko habis", "ektp sudah 6 bulan belum jadi"], [], "e-KTP belum jadi"),
        (["PKL berjualan di trotoar depan pasar", "pedagang kaki lima memakan trotoar"], [], "PKL berjualan di trotoar"),
        (["Lampu jalan mati sudah seminggu", "lampu PJU di gang kami padam"], [], "Lampu jalan mati"),
        (["Lampu merah di perempatan mati, lalu lintas kacau"], [], "Lampu lalu lintas rusak"),  # no street light
        (["TPP bulan oktober belum cair", "gaji berkala belum dibayarkan", "tunjangan kinerja belum dibayar"], [],
         "Gaji atau tunjangan belum dibayar"),  # different things: the generic name
        (["KJMU belum cair sampai saat ini"], ["KJMU belum cair sampai saat ini"], "Beasiswa KJMU belum cair"),
        (["asap pembakaran sekam mengganggu pernapasan", "pembakaran sekam padi asapnya sesak"], [],
         "Asap pembakaran sekam mengganggu warga"),
        (["Saluran irigasi jebol, sawah tidak dapat air", "irigasi tersier rusak parah"], [], "Saluran irigasi rusak"),
        (["Pekerjaan betonisasi jalan bikin macet total"], [], "Proyek jalan mengganggu"),  # no "Jalan belum diaspal"
        (["Pelayanan di lubuk begalung, saya berobat ke klinik mana"], [], ""),  # "begalung" is no "begal"
        (["Kriteria PKH apa saja", "PKH belum cair sampai sekarang", "PKH untuk lansia"], [], ""),  # one of three
        (["jalan poros desa kapan diaspal??? tiap tahun diusulkan",
          "itu jalan kabupaten atau jalan desa? sudah diusulkan terus, sampai sekarang tetap begitu"], [],
         "Jalan rusak"),  # the only problem said in a small issue, by one of two
        (["Tidak menerima BPNT. Tidak pernah menerima bantuan sembako padahal buruh tani",
          "Penerima bantuan sembako tidak tepat sasaran. Assalamualaikum. Saya ingin melaporkan penerima di desa kami"],
         ["Tidak menerima BPNT", "Penerima bantuan sembako tidak tepat sasaran"],
         "sembako salah sasaran"),  # two problems said by one each in a small issue: the more specific its titles say
    ],
)
def test_labels_name_a_canonical_problem(texts: list[str], titles: list[str], expected: str) -> None:
    assert labels.canonical_problem(texts, titles) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # problems of a rural regency, said as Bojonegoro's callers and writers say them (the development set of
       # tests/data/issue_reads/)
        ("Sejak bus mini trayek desa kami tidak ada angkutan umum sama sekali", "Angkutan umum tidak lewat atau telat"),
        ("Proyek rabat beton dana desa asal-asalan, baru sebulan sudah retak", "Proyek dana desa asal-asalan"),
        ("APBDes itu wajib dipasang di baliho desa nggak sih? warga tidak tahu", "Dana desa tidak transparan"),
        ("kalau ada kiriman, pangkalan elpiji malah jual ke pengecer, warga nggak kebagian", "Elpiji langka atau mahal"),
        ("jalan poros desa kapan diaspal??? tiap tahun diusulkan terus", "Jalan rusak"),
        ("kios pupuk mewajibkan beli paket dengan pestisida", "Pupuk langka atau mahal"),
        ("Penerima PKH org mampu, yang miskin malah tidak dapat", "PKH salah sasaran"),
        ("perlintasan kereta di dusun kami tidak ada palang pintunya", "Perlintasan kereta tanpa palang pintu"),
        ("got depan masjid itu kalau hujan pasti meluber sampai jalan", "Saluran air tersumbat"),
        ("PDAM ada gangguan apa ya? sudah tiga hari air cuma netes", "Air PDAM tidak mengalir"),
        ("warga nggarap lahan perhutani di bawah tegakan jati, sekarang dilarang, jagungnya dicabuti",
         "Konflik lahan garapan hutan"),
        ("sy diteror debt collector pinjaman online yg gk terdaftar OJK", "Teror pinjaman online ilegal"),
        ("sumure wis asat, kering kabeh, warga ngangsu ke kali", "Kekurangan air bersih"),
        ("air irigasi dari waduk pacal tidak sampai ke sawah kami", "Air irigasi tidak sampai ke sawah"),
        ("penambangan pasir pakai mesin sedot di bengawan masih jalan terus", "Penambangan pasir liar di sungai"),
        ("Air bengawan sdh msk rmh 2 hari ini, mohon evakuasi", "Banjir"),
        # the first held-out set's misses (seen since its blind read)
        ("Pasien BPJS disuruh beli obat sendiri di apotek luar, katanya stok kosong", "Pasien BPJS disuruh membeli obat"),
        ("Sejak diangkat 3 bulan lalu kami guru PPPK paruh waktu belum menerima gaji", "Gaji PPPK belum dibayar"),
        ("rumah saya dapat bantuan bedah rumah, tapi materialnya jauh dari nilai bantuan dan belum selesai",
         "Bantuan RTLH tidak sesuai atau mangkrak"),
        ("Anak sy cerebral palsy, kursi roda yg lama sdh patah. Apakah ada bantuan kursi roda?",
         "Permohonan alat bantu disabilitas"),
        ("panitia desa narik 750rb per bidang untuk PTSL sertifikat tanah", "Pungutan PTSL melebihi ketentuan"),
        ("Dugaan penyimpangan penggunaan dana desa Sumberoto", "Dugaan penyelewengan dana desa"),
        ("sumur sudah ndak keluar, warga terpaksa beli galon", "Kekurangan air bersih"),
        ("kantor desa sering kosong, jam 10 pagi sudah tutup", "Kantor desa sering tutup"),
        ("suara dari lapangan minyak itu ngguruh terus, ada baunya kayak bau gas", "Bau gas dan bising dari lapangan migas"),
        ("Saluran irigasi penuh sedimen dan sampah, petani harus menyedot air", "Saluran irigasi tersumbat"),
        ("yang dapat bansos keluarganya perangkat dan orang dekat kades", "bansos salah sasaran"),
        ("embung sudah kering, sumur bor tidak keluar airnya, kami minta pengiriman air bersih", "Kekurangan air bersih"),
        ("sapi sapi di kampung saya banyak yang kena penyakit kulit lsd, dua yang mati", "Sapi terserang LSD"),
        ("dibangun tower BTS di tengah permukiman, tidak ada sosialisasi", "Pembangunan tower tanpa sosialisasi atau izin"),
        ("oknum bisa masukkan warga jadi pekerja subkon proyek migas asal bayar 3 jt, lewat calo",
         "Pungutan untuk masuk kerja proyek"),  # the fee is the point (reads T, W)
        ("lalat banyak sekali dari kandang ayam di belakang rumah", "Bau dan lalat dari kandang ayam"),
        # the second held-out set's misses (seen since its blind read)
        ("cetak KTP-el di kecamatan berhenti, katanya blangko habis", "Blangko e-KTP habis"),
        ("air irigasi gk nyampe ke sawah krn saluran di desa sebelah mampet, dangkal kena lumpur",
         "Air irigasi tidak sampai ke sawah"),
        ("pembangunan jalan dari dana desa tahun lalu itu belum ada wujudnya", "Dugaan penyelewengan dana desa"),
        ("warung karaoke buka sampai jam 3 pagi, suara musik sangat keras", "Suara bising dari warung karaoke"),
        ("bau sampah dari TPA parah sekali, lalat sampai masuk rumah", "Bau, lalat dan lindi dari TPA"),
        ("polindes di desa kami sering kosong, bidannya jarang datang", "Bidan tidak ada di Polindes"),
        # the third held-out set's misses (seen since its blind read)
        ("distribusi pupuk bersubsidi tidak sesuai alokasi e-RDKK, jatah 6 ton baru tersalurkan 2", "Pupuk langka atau mahal"),
        ("kios mewajibkan petani beli pupuk nonsubsidi kalau mau dapat urea subsidi", "Pupuk langka atau mahal"),
        ("dana PIP anak sy cair 450rb, tp di sekolah diminta setor 100rb", "Dana PIP dipotong"),
        ("kami PPPK paruh waktu sejak diangkat gaji blm cair sama sekali", "Gaji PPPK belum dibayar"),
        ("rumah anyaman bambu yang disurvei tidak dapat RTLH, rumah permanen malah dapat", "bantuan RTLH salah sasaran"),
        ("Ceceran minyak mentah dari sumur minyak tua terbawa ke kali, sawah tercemar", "Pencemaran minyak dari sumur tua"),
        ("saldo KPM BPNT tidak masuk pada tahap terakhir", "Bantuan BPNT belum cair"),
        # the fifth held-out set's misses (seen since its blind read)
        ("tebing sebelah jalan desa ambrol tanahnya menutup jalan separo", "Tanah longsor"),
        ("anak perempuan umur 15 tahun mau dinikahkan orang tuanya", "Perkawinan anak"),
        ("desa kami belum memiliki tempat pembuangan sampah sementara, warga membuang ke sungai",
         "Tidak ada TPS atau angkutan sampah"),
        # the fourth held-out set's misses (seen since its blind read)
        ("mau tanya utk PPPK paruh waktu di wilayah kami kapan gajinya cair?", "Gaji PPPK belum dibayar"),
        ("sy sudah bayar pasang baru PDAM, meteran dan pipa belum dipasang", "Sambungan baru PDAM belum dipasang"),
        ("Pencemaran udara di sekitar lapangan migas: bau gas dan kebisingan dari flaring",
         "Bau gas dan bising dari lapangan migas"),
        ("bau gas yang muncul tengah malam membuat cucunya sesak napas", "Bau gas dari lapangan migas"),  # in Bojonegoro: the oil and gas fields
        ("Aktivitas galian tanah di desa, dump truck keluar masuk", "Galian tanah atau batu tanpa izin"),
        ("suami saya kerja di Malaysia, paspornya ditahan majikan, gaji tidak dibayar, mohon dipulangkan",
         "Pekerja migran minta dipulangkan"),
        ("PMT untuk balita stunting di posyandu tidak dibagikan", "Makanan tambahan balita tidak dibagikan"),
        ("harga tembakau anjlok, gudang hanya beli lewat tengkulak", "Harga tembakau anjlok"),
        ("pihak gudang menolak membiayai karena pekerja tidak didaftarkan BPJS Ketenagakerjaan",
         "Perusahaan tidak mendaftarkan BPJS pekerja"),
    ],
)
def test_labels_name_problems_of_a_rural_regency(text: str, expected: str) -> None:
    assert labels.canonical_problem([text]) == expected


def test_the_title_decides_between_problems_of_one_report() -> None:
    text = "Truk parkir sembarangan di jalan. Tarif parkir di pasar 5 ribu, mahal"
    assert labels.canonical_problem([text], ["Tarif parkir mahal"]) == "Tarif parkir tidak wajar"
    assert labels.canonical_problem([text], ["Truk parkir sembarangan"]) == "Parkir liar"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [  # nothing of the vocabulary: a phrase from the texts, never a piece of a clause
        (["Bayarnya ribu ribu. bayarnya ribu"], "masalah topik"),
        (["Kawasan kuliner di seberang patung dijadikan siring wisata"], "masalah topik"),
        (["Pemilik mobil tidak memiliki garasi, jalan kampung jadi sempit"], "jalan kampung"),
    ],
)
def test_the_fallback_phrase_is_no_clause_fragment(texts: list[str], expected: str) -> None:
    assert labels.issue_name(texts, None, RULES, topic="Topik") == expected


def test_fragments_are_told_from_names() -> None:
    fragments = ("bayarnya ribu", "benar besok bus", "mobil tidak memiliki", "tidak memiliki garasi", "guna penyelesaian hak")
    assert [labels.is_fragment(p) for p in fragments] == [True] * 5
    assert not any(labels.is_fragment(p) for p in ("jalan rusak", "macet", "perbaikan drainase", "brt mengerem mendadak"))


def test_the_vocabulary_file_reads_and_names_only_curated_words() -> None:
    vocabulary = problem_vocabulary.vocabulary()
    assert len(vocabulary.problems) >= 100
    assert all(p.name and all(p.groups) and ("{thing}" not in p.name or p.things) for p in vocabulary.problems)
    # a joined pair is one thing: "lampu merah" never says "lampu" (a street light)
    assert vocabulary.words(["lampu", "merah", "mati"]) == ["lampu_merah", "mati"]
    names = {vocabulary.name(m) for m in vocabulary.match(vocabulary.words(labels.tokens(
        "Pak Sukarjono melapor jalan rusak di dusun Krajan", keep_names=True)))}  # fmt: skip
    assert names == {"Jalan rusak"}
    assert labels.display("e-KTP belum jadi") == "E-KTP belum jadi"  # capitalised, not "E-ktp"


FILLER = " ".join(["saya sudah menunggu dan bertanya kepada petugas di kantor"] * 4)
"""Forty words that say no problem: what follows is no longer the opening of the report."""


@pytest.mark.parametrize(
    ("texts", "titles", "expected"),
    [  # the fourth blind read's misses, in small: what people complain about beyond the first table
        (["Alamat e-KTP masih alamat lama, padahal saya sudah pindah alamat"], [], "Perubahan alamat di e-KTP"),
        (["Pelayanan dokter keluarga yang kurang memuaskan"], [], "Pelayanan buruk"),  # no shortage of doctors
        (["Apakah saya bisa mendapatkan KIP, sementara saya tidak memiliki KIS atau KKS"], [],
         "Syarat menjadi penerima KIP"),  # the thing asked about, not another one named
        (["Ada bantuan beras dan uang untuk warga. " + FILLER + ". Penerimanya tidak tepat sasaran"], [],
         "bantuan beras salah sasaran"),  # the aid named anywhere in the report
        (["BLSM tak sesuai sasaran, janda tua tidak mendapatkan"], [], "BLSM salah sasaran"),
        (["Saya naik BRT, AC tidak dingin"], [], "AC bus tidak dingin"),
        (["Form 5 tidak dapat didownload, link tidak bisa dibuka"], [], "Formulir tidak bisa diunduh atau dibuka"),
        (["Pengurusan izin perumahan memakan waktu hingga berbulan-bulan"], [], "Pengurusan izin sulit"),
        (["Dana KIP yang diterima murid berbeda-beda, ada 200 ribu ada 800 ribu"], [], "Dana KIP tidak sesuai"),
        (["Koreksi data KPJ. Mohon perubahan data saya di BPJS Ketenagakerjaan"], ["Koreksi data KPJ"],
         "Data BPJS Ketenagakerjaan salah"),
        (["Kesediaan blangko KTP, bolehkah dicetak di kota"], [], "Blangko e-KTP habis"),  # no delay
        (["Jangan hapuskan LPG 3 kg, biar harganya naik"], ["Jangan hapuskan LPG 3 kg"],
         "Keberatan penghapusan elpiji 3 kg"),
        (["Warga baru bangun rumah tapi bongkar material di jalan"], [], "Material bangunan menutup jalan"),
        (["Belum mendapatkan bantuan KIP sama sekali"], [], "Belum menerima KIP"),  # KIP, not "bantuan sosial"
        (["Lampu rambu-rambu lalu lintas mengalami kerusakan di simpang"], [], "Lampu lalu lintas rusak"),
        (["Apa saja persyaratan membuat SKCK?"], [], "Syarat mengurus SKCK"),
        (["Eskalator di terminal jarang aktif, sudah rusak berbulan-bulan"], [], "Eskalator rusak di terminal"),
        (["Dana Taspen ayah saya belum cair sejak pensiun"], [], "Dana Taspen belum dibayar"),
        (["PBB tahun ini naik tidak wajar"], [], "Tagihan PBB naik"),
        (["Hajatan warga menutup jalan kampung dua hari"], [], "Jalan ditutup untuk acara"),
        (["Jalan berdebu karena tanah tercecer dari truk"], [], "Jalan berdebu atau kotor"),
        (["Kali di kampung kami dangkal, mohon dinormalisasi"], [], "Sungai dangkal perlu normalisasi"),
        (["Kartu tani saya tidak bisa dipakai menebus pupuk"], [], "Kartu tani bermasalah"),
        (["Kapan ada pelatihan kerja di BLK untuk pemuda?"], [], "Lowongan atau pelatihan kerja"),
        (["Data Dapodik sekolah kami tidak sinkron, NUPTK guru hilang"], [], "Dapodik atau Info GTK bermasalah"),
        (["Kartu KIS saya belum jadi padahal sudah 3 bulan"], [], "Kartu KIS belum jadi"),
        (["Trotoar dilewati sepeda motor, pejalan kaki terganggu"], [], "Trotoar dipakai berjualan atau parkir"),
        (["Separo jalan tak bisa dilewati sejak musim hujan"], [], "Jalan rusak"),
    ],
)
def test_the_vocabulary_covers_what_people_complain_about(texts: list[str], titles: list[str], expected: str) -> None:
    assert labels.canonical_problem(texts, titles) == expected


def test_a_problem_said_in_the_opening_wins_over_one_said_later() -> None:
    # "banjir" deep in a permit complaint is a detail: the problem the report opens with is its point
    text = "Lampu jalan di gang kami mati. " + FILLER + ". Jalan di depan rumah juga rusak"
    assert labels.canonical_problem([text]) == "Lampu jalan mati"
    assert labels.canonical_problem(["Jalan rusak di gang kami. " + FILLER + ". Lampu jalan juga mati"]) == "Jalan rusak"


def test_in_one_report_the_problem_said_first_is_its_point() -> None:
    # the table lists "Jalan rusak" before "Lampu jalan mati"; the caller opens on the light, the road is an aside
    text = "Lampu jalan di depan balai desa mati sudah dua minggu, jalannya juga agak rusak"
    assert labels.canonical_problem([text]) == "Lampu jalan mati"
    # said at the same word, the more specific problem (listed first) still wins
    assert labels.canonical_problem(["Blangko e-KTP habis, e-KTP saya belum jadi"]) == "Blangko e-KTP habis"


def test_a_small_issue_is_named_by_the_point_its_reports_make_not_by_an_aside() -> None:
    texts = ["jalan poros kapan diaspal??? tiap tahun musrenbang diusulkan trus tp gk pernah ada realisasi",
             "mau tanya jalan poros itu jalan kabupaten atau jalan desa, ditanya ke desa katanya wewenang kabupaten"]
    assert labels.canonical_problem(texts) == "Jalan rusak"


def test_problems_of_one_family_are_one_issue() -> None:
    # water off and murky water from one PDAM unit, blanks out and e-KTP not printed: one issue each for a Kepala
    # Dinas, not two labels that split the same people's complaint
    pdam = ["air pdam mati sudah 4 hari, warga beli air galon", "air PDAM keluar lagi tapi keruh coklat bau lumpur"]
    assert labels.canonical_problem(pdam) == "Air PDAM tidak mengalir"
    ektp = ["blangko ktp habis di kecamatan, cuma dikasih suket", "e-ktp saya belum jadi sudah 3 bulan sejak rekam",
            "ktp el belum dicetak katanya blangkonya kosong"]
    assert labels.canonical_problem(ektp) == "Blangko e-KTP habis"  # the point two of the three make: the cause
    grouping = issues.group_clusters(pdam + ektp, [(1, 1), (1, 1), (2, 1), (2, 1), (2, 1)], threshold=0.99)
    assert sorted(grouping.phrases) == ["Air PDAM tidak mengalir", "Blangko e-KTP habis"]
    assert labels.canonical_problem([pdam[1]]) == "Air PDAM keruh"  # alone, each keeps its own name


def test_a_flood_whose_callers_ask_for_relief_is_named_by_the_relief() -> None:
    # read M and N: every caller opens on the flood and comes to the relief that has not reached them; "Banjir"
    # names only the event, what the Kepala Pelaksana BPBD must act on is the relief
    flood = ["banjir bengawan blm surut, bantuan dr bpbd cm nyampe balai desa, yg di dusun ujung gk kebagian",
             "niki banyune bengawan mlebet griya sampun kaleh dinten, dereng wonten bantuan nopo-nopo",
             "banjir lagi mas air bengawan naik terus, tolong pemkab kirim perahu karet karo bantuan",
             "banjir sudah sepinggang, rumah kami terendam sejak senin"]
    assert labels.canonical_problem(flood) == "Banjir, bantuan belum sampai ke warga"
    assert labels.canonical_problem(flood[3:]) == "Banjir"  # the flood alone
    plain = ["banjir sudah sepinggang, rumah kami terendam", "air bengawan masuk rumah, banjir lagi",
             "banjir merendam sawah, bantuan belum ada"]
    assert labels.canonical_problem(plain) == "Banjir"  # one of three asks: the flood names it
    grouping = issues.group_clusters(flood + plain, [(1, 1)] * 7, threshold=0.99)
    assert len(grouping.phrases) == 1  # one matter: one issue


def test_a_hedged_name_says_the_one_its_complaints_say() -> None:
    # "Talud atau tanggul", "Dokter atau bidan", "hama tanaman": a reader wants the one said ("the midwife was there")
    assert labels.canonical_problem(["tanggul saluran irigasi jebol enam meter, sawah kebanjiran"]) == "Tanggul saluran irigasi rusak"
    assert labels.canonical_problem(["talud di pinggir jalan ambrol kena hujan"]) == "Talud rusak"
    assert labels.canonical_problem(["hama tikus merusak padi muda, sudah dua kali tanam ulang"]) == "Serangan hama tikus"
    assert labels.canonical_problem(["dokter di puskesmas jarang datang", "dokter sering tidak ada di puskesmas"]) \
        == "Dokter tidak ada di Puskesmas"
    mixed = ["dokter di puskesmas jarang datang", "bidan di puskesmas sering tidak ada", "perawat di puskesmas telat"]
    assert labels.canonical_problem(mixed) == "Dokter atau bidan tidak ada di Puskesmas"  # different people: the hedge
    walls = ["talud sungai ambrol dekat rumah", "tanggul kali jebol", "talud depan masjid retak"]
    assert labels.canonical_problem(walls) == "Talud rusak"  # the one most say, one issue with the dike
    assert len(issues.group_clusters(walls, [(1, 1)] * 3, threshold=0.99).phrases) == 1


def test_between_problems_said_by_as_many_the_one_they_open_on_names_the_issue() -> None:
    # both say the aid has not come and, later, that the card's balance is empty: the point is the aid
    said = ["Pelapor, KPM BPNT Desa Dander, menyampaikan bantuan sembako belum diterima selama tiga bulan. Saat dicek di "
            "e-warong, saldo KKS kosong.",
            "min bpnt di ngunut blm cair dr bln januari. dicek ke agen brilink saldo kosong. desa sebelah katanya sdh cair"]
    assert labels.canonical_problem(said, ["Pengaduan bansos sembako", "bpnt"]) == "Bantuan BPNT belum cair"


def test_the_cause_people_open_on_names_the_issue() -> None:
    # reads O, P, Q: sand mining in the Bengawan Solo brings the banks down; callers open on the mining and add the
    # collapse, and the issue read "Tebing sungai tergerus" (the cause, what the Satpol PP acts on, lost)
    mining = ["penambangan pasir teng bengawan niku kok dibiarke, pinggir kali longsor, makam deso cedak kali",
              "wonten tambang pasir ngangge mesin diesel, pinggir kali niku longsor terus, sawah kulo ical"]
    assert labels.canonical_problem(mining) == "Penambangan pasir liar di sungai"
    banks = ["tebing sungai bengawan longsor, makam desa terancam", "pinggir kali longsor lagi, tanah warga ambrol"]
    grouping = issues.group_clusters(mining + banks, [(1, 1)] * 4, threshold=0.99)
    assert grouping.phrases == ["Penambangan pasir liar di sungai"]  # one matter with the banks it brings down


def test_a_catch_all_loses_a_tie_with_the_problem_itself() -> None:
    # read R: "Limbah minyak" and "Pencemaran" titled reports of oil from the old wells, and titles said "gaji" of a
    # subcontractor's unpaid workers; the catch-alls "Pencemaran limbah" and "{thing} belum dibayar" won on titles
    oil = ["limbah minyak mentah dari sumur tua mengalir ke kali, sawah warga menguning",
           "kali di bawah sumur minyak wonocolo item kena lenga, limbahnya ngalir ke bawah",
           "tumpahan minyak dari sumur tua mencemari sungai, ikan mati"]
    assert labels.canonical_problem(oil, ["Limbah minyak", "Pencemaran", "Pencemaran sungai"]) == "Pencemaran minyak dari sumur tua"
    pay = ["sy pekerja lokal kerja di subkon proyek gas, gaji 2 bln blm dibayar",
           "saya kerja di proyek lewat subkon, gaji saya dua bulan belum dibayar",
           "tenaga harian subkontraktor proyek gas, upah dua bulan belum dibayarkan"]
    assert labels.canonical_problem(pay, ["gaji proyek blm dibayar", "Gaji belum dibayar", "Upah pekerja"]) \
        == "Upah pekerja proyek belum dibayar"
    assert labels.canonical_problem(["gaji bulan ini belum dibayar"]) == "Gaji belum dibayar"  # alone, what it says
    gtt = ["honor GTT sudah empat bulan belum cair", "honor guru tidak tetap SD terlambat, honorer K2 juga belum diangkat"]
    named = labels.canonical_problem(gtt)  # the pay, not "Honorer K2 belum diangkat": a catch-all's own member is none
    assert named.endswith("belum dibayar") and named != "Gaji atau tunjangan belum dibayar", named


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["TPA Banjarsari terbakar sudah tiga hari, asapnya masuk rumah", "asap dari TPA bikin anak sesak"],
         "TPA terbakar, asapnya mengganggu warga"),
        (["kawanan monyet turun dari hutan merusak jagung warga", "kethek mangan pari lan jagung teng tegal"],
         "Kawanan monyet merusak tanaman warga"),
        (["anjing liar berkeliaran di dekat sekolah menggigit anak", "gerombolan anjing liar meresahkan warga"],
         "Anjing liar meresahkan warga"),
        (["insentif guru PAUD sudah enam bulan belum cair"], "Insentif guru PAUD/TK belum dibayar"),
        (["mandor perhutani minta uang lima ratus ribu per petak ke petani penggarap hutan"],
         "Pungutan liar terhadap petani penggarap hutan"),
        (["kades tidak mau tanda tangan surat waris kalau tidak bayar dua juta"],
         "Perangkat desa minta uang untuk mengurus surat"),
        (["ambulans desa rusak tiga bulan, mesinnya mati, tidak ada anggaran perbaikan"], "Ambulans desa rusak"),
        (["bus sekolah gratis sudah tidak jalan sejak awal semester"], "Bus sekolah berhenti beroperasi"),
        (["SMP mewajibkan siswa baru membeli seragam di koperasi sekolah 1,2 juta", "anak diwajibkan beli seragam lewat koperasi"],
         "Sekolah mewajibkan membeli seragam"),  # no levy said: not "Pungutan di sekolah"
        (["truk proyek lewat tanpa terpal, debunya masuk rumah, anak batuk", "bledug e truk proyek mripat perih"],
         "Debu dari truk proyek mengganggu warga"),
        (["tanah gerak di desa jari, rumah warga retak retak", "tanah bergerak lagi, dinding rumah retak dan jalan ambles"],
         "Tanah bergerak, rumah warga retak"),
        (["got mampet, tiap hujan air masuk rumah", "banjir tiap hujan karena selokan tersumbat sampah"], "Saluran air tersumbat"),
        (["pintu air di tanggul bengawan rusak tidak bisa ditutup, air masuk kampung", "klepnya sudah rusak, air bengawan masuk sawah",
          "tanggul bengawan retak dekat pintu air"], "Pintu air tanggul rusak"),  # the part that broke, not "Tanggul rusak"
        (["longsor tebing menutup separuh jalan ke kecamatan", "material longsor menimbun jalan, tidak bisa dilewati mobil"],
         "Longsor menutup jalan"),
        (["untuk masuk kerja di proyek migas warga dimintai uang 3-5 jt oleh oknum", "daftar kerja proyek harus bayar calo"],
         "Pungutan untuk masuk kerja proyek"),
        (["solar kangge diesel sedot toyo teng sawah, SPBU mboten purun ngisi jeriken"], "Petani sulit membeli solar untuk pompa sawah"),
        (["warung karaoke buka sampai subuh, banyak yang mabuk", "karaoke di ngampel bising tiap malam"], "Warung karaoke meresahkan warga"),
        (["jembatan penghubung desa runtuh di bagian tengah, anak sekolah memutar jauh"], "Jembatan ambruk"),  # no school building
        (["honor GTT SD sudah tiga bulan belum dibayar"], "Honor guru tidak tetap belum dibayar"),
        (["suara gemuruh dari JTB sampai jam 2 pagi, bau gas juga menyengat"], "Bau gas dan bising dari lapangan migas"),
        (["lampu PJU di jalan raya peteng kabeh, rawan kecelakaan"], "Lampu jalan mati"),
        (["tanggul dekat makam rembes lagi, air bengawan masuk kampung", "tanggul bengawan merembes, rumah kemasukan air"],
         "Tanggul merembes, rawan jebol"),
        (["pasien BPJS di RSUD dibilang kamar penuh, kalau bayar umum kok ada kamarnya"],
         "Pasien BPJS ditolak dengan alasan kamar penuh"),
        (["jalan hutan ke ladang ditutup portal oleh Perhutani, warga tidak bisa lewat"], "Akses jalan hutan ditutup"),
        (["kerja di proyek jalan cor, bayarane pun kalih wulan dereng dibayar"], "Upah pekerja proyek belum dibayar"),  # pay owed, no fee
        (["ambulans desa dikon mbayar tigang atus ewu nek ngeterke jenazah"], "Ambulans desa menarik biaya"),
        (["honor pegawai non-ASN RSUD tiga bulan belum dibayar"], "Honor pegawai non-ASN belum dibayar"),
        (["debu sekam dari selep padi masuk rumah, mesinnya jalan sampai malam"], "Debu dari penggilingan mengganggu warga"),
        (["lalat dan bau dari kandang ayam potong masuk rumah", "kandang ayam broiler baunya menyengat"], "Bau dan lalat dari kandang ayam"),
        (["asap penyulingan minyak masuk sekolah, anak-anak batuk", "limbah penyulingan minyak mencemari kali"],
         "Asap dan limbah penyulingan minyak mencemari"),
        (["honorer RSUD tidak masuk pendataan non-ASN BKN, tidak bisa daftar PPPK"], "Honorer tidak masuk pendataan non-ASN"),
        (["limbah cair pabrik tahu dibuang ke selokan, baunya asam dan airnya hitam"], "Pencemaran limbah tahu"),
        (["sumur warga bau solar dan berminyak sejak sungai tercemar"], "Air sumur tercemar minyak"),
        (["uang tabungan warga di BUMDes tidak bisa diambil, tidak ada laporan keuangan"], "Uang warga di BUMDes tidak bisa diambil"),
        (["sudah bayar 35 juta ke LPK untuk magang ke Jepang tapi tidak diberangkatkan"],
         "Calon pekerja tidak diberangkatkan oleh LPK atau penyalur"),
    ],
)
def test_the_table_names_the_long_tail_of_reads_o_to_aa(texts: list[str], expected: str) -> None:
    assert labels.canonical_problem(texts) == expected


def test_the_fallback_keeps_the_negation_before_what_it_denies() -> None:
    assert "tepat sasaran" not in labels.phrases("Penerima manfaat tidak tepat sasaran")
    assert "tidak tepat sasaran" in labels.phrases("Penerima manfaat tidak tepat sasaran")
    name = labels.issue_name(["Penerima manfaat tidak tepat sasaran"], None, RULES, topic="Topik")
    assert not name.startswith(("tepat", "sesuai")), name  # never the opposite of the text


@pytest.mark.parametrize(
    ("texts", "titles", "expected"),
    [  # nothing of the vocabulary and no phrase that reads: what is asked, rather than a fragment
        (["Bolehkah KKS dipakai? Mohon informasinya"], ["KKS"], "pertanyaan tentang kks"),  # no "bolehkah kks dipakai"
        (["Mau tanya soal KIP dong, kapan ya?"], ["Tanya KIP"], "pertanyaan tentang kip"),
        (["Apa persyaratan untuk ikut PPPK? mohon informasinya"], ["PPPK"], "permintaan informasi syarat pppk"),
        (["Akses untuk informasi sangat sulit di sekolah ini"], ["Akses untuk informasi sangat sulit"], ""),  # a complaint
    ],
)
def test_a_question_is_labelled_by_the_thing_asked_about(texts: list[str], titles: list[str], expected: str) -> None:
    assert labels.asked_about(texts, titles) == expected
    if expected:
        assert labels.issue_name(texts, None, RULES, titles, "Topik") == expected


@pytest.mark.parametrize(
    ("texts", "titles", "expected"),
    [  # a phrase that names only a thing, in a report that asks: said as a question about it
        (["Rawat inap Jamkesda apa ada batasnya? Mohon informasinya"], ["Rawat inap Jamkesda apa ada batasnya?"],
         "pertanyaan tentang rawat inap"),
        (["Tahun berapa Pilkades dilaksanakan? Tahun berapa Pilkades dilaksanakan"], ["Tahun berapa Pilkades dilaksanakan?"],
         "pertanyaan tentang pilkades"),  # no trailing verb
    ],
)
def test_a_thing_asked_about_reads_as_a_question(texts: list[str], titles: list[str], expected: str) -> None:
    assert labels.issue_name(texts, None, RULES, titles, "Topik") == expected


PARAPHRASES = Path(__file__).parent / "data" / "problem_paraphrases" / "paraphrases.jsonl"
"""Tuning data: the test keeps what was tuned; heldout.jsonl beside it is for measuring (bench_issues.py)."""


def test_the_table_names_the_ways_people_say_its_problems() -> None:
    # 784 written paraphrases, four voices per problem (tuning data: tests/data/problem_paraphrases/README.md); 92 %
    # are named right since the table was extended on them (50 % before): a change to the table or the matcher that
    # loses how people say a problem fails here
    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
    from bench_issues import named_right  # the bench's own rule, so the figure it prints is the one kept here

    rows = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    wrong = [(row["problem"], got, row["text"][:80]) for row in rows for ok, got in [named_right(row)] if not ok]
    assert len(wrong) <= len(rows) * 0.09, wrong[:20]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [  # what blind reads 34 to 36 (and earlier ones) marked borderline: the stock name where the reports say more
        (["Ada pungutan di SMPN, anak baru wajib beli paket seragam dan LKS 1,2 juta di koperasi sekolah",
          "pungutan sekolah mahal sekali, seragam harus beli di sekolah, tidak boleh beli di luar",
          "biaya masuk SMP negeri, kami diwajibkan membeli seragam dari sekolah"],
         "Sekolah mewajibkan membeli seragam"),
        (["Ada TPS liar di pinggir jalan raya dekat jembatan, sampah menumpuk dan bau",
          "sampah menumpuk di tepi jalan, orang buang sembarangan tiap malam", "tumpukan sampah di pinggir jalan makin tinggi"],
         "Pembuangan sampah liar"),
        (["jembatan penghubung dusun ambruk setelah banjir, anak sekolah memutar 6 km",
          "jembatan rusak parah, sekarang sudah putus tidak bisa dilewati"], "Jembatan ambruk"),
        (["jembatan kayu lapuk dan berlubang, motor takut lewat", "jembatan rusak, papannya banyak yang lepas"],
         "Jembatan rusak"),
        # reads AK to AP: the disease, the food that failed, the trucks' road and the broken printer
        (["sapi warga kena benjol benjol di kulit, sudah tiga yang mati", "ternak sapi terserang LSD, mantri belum datang"],
         "Sapi terserang LSD"),
        (["biskuit PMT untuk balita di posyandu sudah kedaluwarsa", "PMT yang dibagikan expired, anak saya diare"],
         "PMT balita kedaluwarsa"),
        (["truk tanah urug lalu lalang di jalan desa, debu tebal", "truk bermuatan berat melintas jalan desa tiap hari"],
         "Truk bermuatan berat melintas di jalan desa"),
        (["cetak KTP di kecamatan tidak bisa, printer rusak", "KTP-el tidak bisa dicetak karena alat cetak rusak"],
         "Alat perekaman e-KTP rusak"),
        # reads AO to AR: a collapsed classroom roof, SPMB (PPDB's new name), a diploma held, internet cables
        (["atap dua ruang kelas SD ambrol semalam, murid belajar di teras", "plafon kelas ambruk, siswa diungsikan"],
         "Atap ruang kelas ambruk"),
        (["anak sy daftar SPMB SMPN jalur domisili gak keterima padahal rumah cm 1 km",
          "anak tidak diterima SPMB jalur domisili meski rumah dekat sekolah"], "Anak tidak diterima di sekolah terdekat"),
        (["Penahanan ijazah oleh sekolah swasta. Ijazah anaknya yang lulus tahun ini dari sebuah SMK swasta di Kecamatan "
          "Padangan belum juga diserahkan oleh pihak sekolah karena masih ada tunggakan biaya sekolah",
          "ijazah anak sy ditahan sekolah krn nunggak SPP"],
         "Ijazah ditahan"),
        (["kabel fiber optik provider menjuntai rendah di jalan desa, pengendara motor tersangkut",
          "kabel internet semrawut dan menjuntai, membahayakan"], "Kabel internet menjuntai membahayakan"),
        (["banyu irigasi saking waduk pacal mboten tekan sabin kulo, saluran kebak suket",
          "banyu saking pacal niku mandeg, tani ngandhap nyedot sumur"], "Air irigasi tidak sampai ke sawah"),
        # reads AS and AT: the dust of project trucks on a village road is no road project
        (["Debu dan kerusakan jalan akibat truk proyek. Truk pengangkut material proyek melintas jalan desa, debu tebal",
          "debu truk proyek, tiap hari truk dump lewat jalan desa, debunya tebal bgt"],
         "Debu dari truk proyek mengganggu warga"),
        # reads AS and AU: what is wrong with the compensation, and paying to be hired
        (["Keberatan nilai ganti rugi lahan proyek bendungan. Nilai dari tim appraisal jauh di bawah harga pasaran"],
         "Nilai ganti rugi lahan terlalu rendah"),
        (["tanah kami diukur untuk bendungan dua tahun lalu tapi ganti rugi belum dibayar sampai sekarang"],
         "Ganti rugi lahan belum dibayar"),
        (["kulo sampun ndaftar kaping kalih mboten nate dipanggil, kok kanca kulo sing mbayar tigang yuto langsung mlebet",
          "warga lokal susah kerja di proyek, yang bayar ke calo langsung masuk"], "Pungutan untuk masuk kerja proyek"),
        # reads AV to AX: what a stock word took for something else
        (["honor GTT sd di kasiman blm cair 3 bln min. kami guru honorer cuma dpt insentif segitu, itu pun telat trs",
          "Keterlambatan pembayaran insentif guru tidak tetap. Saya guru tidak tetap (GTT) di SDN. Insentif GTT dari "
          "APBD untuk bulan Januari sampai Maret belum kami terima"],
         "Honor guru tidak tetap belum dibayar"),  # no appointment asked: not "Honorer K2 belum diangkat"
        (["buruh gudang tembakau digaji di bawah UMK dan tidak didaftarkan BPJS Ketenagakerjaan",
          "kerja di gudang tanpa BPJS ketenagakerjaan, gaji di bawah UMK"], "Perusahaan tidak mendaftarkan BPJS pekerja"),
        (["rumah terbakar, damkar baru datang setelah satu jam, rumah sudah habis",
          "kebakaran gudang, mobil pemadam telat datang karena pos damkar jauh"], "Pemadam kebakaran datang terlambat"),
        (["Parkir liar di pasar tanpa karcis. Di depan pasar banyak juru parkir yang menarik tarif Rp 3.000 untuk motor "
          "tanpa memberikan karcis retribusi"], "Tarif parkir tidak wajar"),
        (["bansos kok yg dpt keluarga perangkat sm org2 yg mampu ya min, mbah2 yg rumahnya mau roboh gk dpt",
          "Lansia miskin tidak menerima BPNT. Pelapor tidak pernah menerima bantuan BPNT padahal tinggal sendiri, "
          "sementara warga yang memiliki mobil dan rumah permanen malah menerima",
          "tonggo kulo ingkang griyane loteng angsal BPNT, mbah kulo mboten angsal BPNT"], "bansos salah sasaran"),
        # reads AY and AZ: whose wages, and who took the harvester
        (["upah pekerja lokal subkontraktor proyek migas belum dibayar dua bulan",
          "kami buruh proyek di area JTB, gaji belum dibayar sejak Oktober"],
         "Upah pekerja proyek belum dibayar"),
        (["combine harvester bantuan pemerintah dikuasai ketua poktan dan disewakan ke desa lain",
          "mesin panen bantuan malah disewakan ketua kelompok, anggota harus antre"],
         "Alsintan bantuan dikuasai ketua kelompok"),
    ],
)

def test_the_point_is_named_over_its_stock_name(texts: list[str], expected: str) -> None:
    assert labels.canonical_problem(texts) == expected


def test_a_house_roof_blown_off_is_no_classroom_and_a_request_for_rtlh_is_named_by_its_title() -> None:
    whirlwind = "Laporan bencana angin kencang. Angin puting beliung merusak 12 rumah, 2 rusak berat karena atap roboh"
    assert labels.canonical_problem([whirlwind]) != "Atap ruang kelas ambruk"
    widow = ("Pelapor melaporkan kondisi rumah seorang janda lansia yang tinggal sendiri, atap bocor dan tiang miring. "
             "Sudah dua kali diusulkan program bedah rumah/RTLH melalui desa namun belum terealisasi.")
    assert labels.canonical_problem([widow], ["Permohonan bantuan RTLH untuk janda lansia"]) == (
        "Permohonan bantuan bedah rumah (RTLH)")
