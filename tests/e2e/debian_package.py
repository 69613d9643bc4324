#!/usr/bin/python3
"""The Debian package (issue 14): cpack builds it from the build folder, lintian finds no
errors, it installs on this machine (a system user, /var/lib/convene, /etc/convene/convene.conf),
`convene --version` runs from /usr/bin, a server runs from the installed paths as the convene
user and answers /healthz, and removing the package takes the binary away and keeps the data.

  debian_package.py /path/to/build     (needs root: exits 77, skipped, otherwise)
"""
import glob
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import Tally, free_port, stop_all, wait_up  # noqa: E402

check = Tally("debian_package")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 240), **kw)


def main():
    build = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("debian_package: skipped (installing a package needs root)")
        return 77
    if run(["dpkg-query", "-W", "-f=${Status}", "convene"]).stdout.startswith("install ok"):
        print("debian_package: skipped (a convene package is already installed here; not touching it)")
        return 77
    for old in glob.glob(build + "/convene_*.deb"):
        os.remove(old)
    r = run(["cpack", "-G", "DEB"], cwd=build)
    debs = glob.glob(build + "/convene_*.deb")
    check(r.returncode == 0 and len(debs) == 1, "cpack built one .deb (%s)" % (r.stdout[-300:] + r.stderr[-300:]))
    if not debs:
        return check.finish()
    deb = debs[0]
    info = run(["dpkg-deb", "-I", deb]).stdout
    check("Depends:" in info and "adduser" in info and "libical3" in info, "Depends lists adduser and the libraries")
    contents = run(["dpkg-deb", "-c", deb]).stdout
    for path in ["./usr/bin/convene", "./lib/systemd/system/convene.service", "./etc/convene/convene.conf",
                 "./usr/share/doc/convene/copyright", "./usr/share/doc/convene/changelog.Debian.gz"]:
        check(path in contents, "the package holds %s" % path)
    lint = run(["lintian", "--no-tag-display-limit", deb], timeout=280)
    errors = [l for l in lint.stdout.splitlines() if l.startswith("E:")]
    check(not errors, "lintian: no errors (%s)" % errors[:5])
    print("debian_package: lintian: %d errors, %d warnings" %
          (len(errors), len([l for l in lint.stdout.splitlines() if l.startswith("W:")])))

    procs = []
    try:
        r = run(["dpkg", "-i", deb])
        check(r.returncode == 0, "dpkg -i (%s)" % r.stderr[-400:])
        v = run(["/usr/bin/convene", "--version"])
        check(v.returncode == 0 and re.match(r"^convene \d+\.\d+\.\d+$", v.stdout.strip()), "installed --version (%r)" % v.stdout)
        check(run(["getent", "passwd", "convene"]).returncode == 0, "the convene system user exists")
        st = os.stat("/var/lib/convene")
        check(st.st_uid != 0, "/var/lib/convene belongs to the convene user")
        conf = os.stat("/etc/convene/convene.conf")
        check(oct(conf.st_mode & 0o777) == "0o640", "the config is 0640 (%s)" % oct(conf.st_mode & 0o777))
        port = free_port()
        # The installed binary on the installed config, as the service would run it; only the port
        # differs (flags win over the file), so a convene already on 8080 is left alone.
        procs.append(subprocess.Popen(["runuser", "-u", "convene", "--", "/usr/bin/convene", "serve",
                                       "--config", "/etc/convene/convene.conf",
                                       "--listen", "127.0.0.1:%d" % port],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        check(wait_up("http://127.0.0.1:%d/healthz" % port, 20), "the installed server answers /healthz")
        stop_all(procs)
        procs = []
        check(os.path.exists("/var/lib/convene/convene.db"), "it made its database in /var/lib/convene")
    finally:
        stop_all(procs)
        r = run(["dpkg", "--purge", "convene"])
        check(r.returncode == 0, "dpkg --purge (%s)" % r.stderr[-300:])
        check(not os.path.exists("/usr/bin/convene"), "the binary is gone after removal")
        check(os.path.exists("/var/lib/convene/convene.db"), "the data stays after removal")
        subprocess.run(["rm", "-rf", "/var/lib/convene/convene.db", "/var/lib/convene/convene.db-wal",
                        "/var/lib/convene/convene.db-shm", "/var/lib/convene/spool"])
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
