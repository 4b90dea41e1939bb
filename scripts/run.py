#!/usr/bin/env python
"""`make run`: the web server and the django-q2 cluster side by side; Ctrl-C stops both at once.

The demo is served as an office would see the product: DEBUG off (DEBUG=1 in the environment turns
it back on), so a refused or missing page is the product's own 403/404/500 page in the user's
language rather than Django's technical page listing every URL; static files come from whitenoise.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = os.environ.get("PORT", "8000")

DEMO = """
  演示账号 / demo accounts (密码 password: demo12345)
    office                     领导小组办公室 Office
    dept-lz dept-zz dept-xc    纪检监察室 / 党建办 / 宣传条线 assessors
    leader                     领导小组成员 Leading Group member
    auditor                    审计（只读）auditor, read-only
    c01 … c15                  社区经办人 community staff
    c01-sec … c15-sec          社区党委书记 community secretaries
    admin                      系统管理员 superuser

  上一年度已公布，整改方案 / the previous year is published, with its rectification plans:
    c01 已报办公室审核 (office 待办) · c02 已审定，整改节点在 c02 待办
    c03 被办公室退回 · 其余起草中
"""


class Stop(Exception):
    """Ctrl-C or a termination request reached this script."""


def _stop(signum, frame):
    raise Stop


def main() -> int:
    # Handlers of our own: a shell that starts this in the background (CI, `make run &`) ignores
    # SIGINT in its children, and an ignored SIGINT would otherwise leave Ctrl-C without effect.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DEBUG": os.environ.get("DEBUG", "0")}
    # --noreload: one process, so Ctrl-C stops the server for sure (the autoreloader's child can
    # outlive its parent).
    web = subprocess.Popen(
        [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"], cwd=ROOT, env=env
    )
    # The cluster in a process group of its own, so that it gets exactly one stop signal (ours):
    # a terminal's Ctrl-C followed by our SIGTERM leaves django-q2 stuck half-way through stopping.
    cluster = subprocess.Popen([PY, "manage.py", "qcluster"], cwd=ROOT, env=env, process_group=0)
    print(f"\n  http://127.0.0.1:{PORT}/\n{DEMO}\n  Ctrl-C 停止 / to stop\n", flush=True)
    processes = [web, cluster]
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except Stop:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # SIGTERM, not SIGINT: the web server has nothing to finish and stops at once (with SIGINT
        # it may ignore the signal, as above); the cluster finishes the task in hand.
        for p in processes:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 10
        for p in processes:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
    failed = [p.returncode for p in processes if p.returncode not in (0, None, -2, -15, 130)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
