python3 - <<'PY'
import io, tarfile
def add(t, name, data=None, **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if data is not None:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)
with tarfile.open("tricky.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "./", type=tarfile.DIRTYPE, mode=0o700, uid=3, gid=3)
    add(t, "dir/", type=tarfile.DIRTYPE, mode=0o2750, uid=1, gid=2)
    add(t, "dir/file", b"content\n", mode=0o4755, uid=1, gid=2)
    add(t, "dir/hard", type=tarfile.LNKTYPE, linkname="dir/file", mode=0o4755, uid=1, gid=2)
    add(t, "dir/sym", type=tarfile.SYMTYPE, linkname="../outside/target")
    add(t, "/abs/file", b"abs\n", mode=0o644)
    add(t, "implicit/parent/file", b"deep\n", mode=0o600)
    add(t, "dir/over", b"first\n", mode=0o644)
    add(t, "dir/over", b"second version\n", mode=0o640)
PY
