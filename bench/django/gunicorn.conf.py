# gunicorn for bench/compare.sh, tuned to give the baseline its best case on this box.
# gthread workers, one per core: each request is CPU-bound Python (a Redis GET, a JSON decode
# and encode), and one process runs on one core at a time (the GIL), so more processes than
# cores only add context switches against wrk on the same 2 cores. Threads let a worker keep
# its share of wrk's 32 connections alive: sync workers close the connection after every
# response, so every request would pay a reconnect that Strata (keep-alive) does not; measured
# on the 2-core box, 2 gthread workers served about twice what 3 or 5 sync workers did.
import multiprocessing

workers = multiprocessing.cpu_count()
worker_class = "gthread"
threads = 16
keepalive = 5
accesslog = None
# Info: its "Listening at" line tells bench/lib.sh the port bound (`--bind 127.0.0.1:0`).
loglevel = "info"
# No control socket: it lives at one path per user, and the bench may run two gunicorns.
control_socket_disable = True
