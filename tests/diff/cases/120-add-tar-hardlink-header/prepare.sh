python3 - <<'PY'
import io, tarfile
with tarfile.open("links.tar", "w") as t:
    f = tarfile.TarInfo("file"); f.size = 8; f.mode = 0o4755; f.uid = 1; f.gid = 2
    t.addfile(f, io.BytesIO(b"content\n"))
    h = tarfile.TarInfo("hard"); h.type = tarfile.LNKTYPE; h.linkname = "file"
    h.mode = 0o600; h.uid = 7; h.gid = 8
    t.addfile(h)
    g = tarfile.TarInfo("other"); g.size = 6; g.mode = 0o644; g.uid = 1; g.gid = 2
    t.addfile(g, io.BytesIO(b"other\n"))
    d = tarfile.TarInfo("d"); d.type = tarfile.DIRTYPE; d.mode = 0o755
    t.addfile(d)
    h = tarfile.TarInfo("d/hard"); h.type = tarfile.LNKTYPE; h.linkname = "other"
    h.mode = 0o2750; h.uid = 3; h.gid = 4
    t.addfile(h)
PY
