python3 - <<'PY'
import io, tarfile
with tarfile.open("links.tar", "w") as t:
    f = tarfile.TarInfo("file"); f.size = 8; f.mode = 0o4755; f.uid = 1; f.gid = 2
    t.addfile(f, io.BytesIO(b"content\n"))
    h = tarfile.TarInfo("hard"); h.type = tarfile.LNKTYPE; h.linkname = "file"
    h.mode = 0o600; h.uid = 7; h.gid = 8
    t.addfile(h)
PY
