# bench/gateway/setup.sh, sourced by run.sh and instructions.sh so that both
# measure the same thing: picks free ports and writes, under $work, the
# upstream's and the proxy's nginx.conf and Junction's two specs (plain, and
# with a JWT checked and a rate limit counted on every request), and sets
# $token, a JWT those specs accept.
#
# Needs $work; $PROXY_WORKERS, when set, is the proxy's worker_processes.
# $NGINX_HEADERS: `same` (the default) has the nginx proxy add the headers
# Junction's gateway adds, so both put the same bytes on the wire: to the
# upstream X-Forwarded-Proto, X-Forwarded-Host and X-Request-Id (the
# client's, or a new one), and the X-Request-Id back to the client;
# `minimal` adds only X-Forwarded-For, as before session 13.
# $NGINX_AFFINITY: `auto` (the default, with $PROXY_WORKERS) pins each nginx
# worker to a CPU (`worker_cpu_affinity auto`), as Junction pins its I/O
# threads by default; `off` leaves nginx's own default, no pinning. Either
# way $work/proxy-unpinned/nginx.conf is the same proxy without pinning, on
# $nginx_unpinned_port.
# shellcheck shell=bash disable=SC2154,SC2034  # $work comes from, $token goes to, the sourcing script

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {  # port [tries, 0.1 s apart]
  for _ in $(seq "${2:-100}"); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  exit 1
}

upstream_port=$(free_port)
nginx_port=$(free_port)
junction_port=$(free_port)
junction_auth_port=$(free_port)
nginx_unpinned_port=$(free_port)

mkdir -p "$work/upstream/logs" "$work/proxy/logs" "$work/proxy-unpinned/logs"
NGINX_AFFINITY=${NGINX_AFFINITY:-auto}
nginx_affinity=
if [ -n "${PROXY_WORKERS:-}" ] && [ "$NGINX_AFFINITY" = auto ]; then
  nginx_affinity='worker_cpu_affinity auto;'
elif [ "$NGINX_AFFINITY" != auto ] && [ "$NGINX_AFFINITY" != off ]; then
  echo "NGINX_AFFINITY is auto or off, not $NGINX_AFFINITY" >&2
  exit 1
fi
NGINX_HEADERS=${NGINX_HEADERS:-same}
nginx_same_headers=
nginx_request_id_map=
if [ "$NGINX_HEADERS" = same ]; then
  # shellcheck disable=SC2016  # nginx's variables, for its config, not the shell's
  nginx_request_id_map='map $http_x_request_id $junction_like_request_id { "" $request_id; default $http_x_request_id; }'
  # shellcheck disable=SC2016
  nginx_same_headers='      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Request-Id $junction_like_request_id;
      add_header X-Request-Id $junction_like_request_id always;'
elif [ "$NGINX_HEADERS" != minimal ]; then
  echo "NGINX_HEADERS is same or minimal, not $NGINX_HEADERS" >&2
  exit 1
fi
cat >"$work/upstream/nginx.conf" <<CONF
worker_processes 1;
pid $work/upstream/nginx.pid;
error_log $work/upstream/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$upstream_port reuseport;
    location / { return 200 '{"item":"widget","stock":42,"warehouse":"north-1"}\n'; }
  }
}
CONF
write_proxy_conf() {  # dir, port, affinity line
  cat >"$work/$1/nginx.conf" <<CONF
${PROXY_WORKERS:+worker_processes $PROXY_WORKERS;}
$3
pid $work/$1/nginx.pid;
error_log $work/$1/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log $work/$1/logs/access.log combined buffer=64k flush=1s;
  keepalive_requests 1000000;
  $nginx_request_id_map
  upstream backend {
    server 127.0.0.1:$upstream_port;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$2 reuseport;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
$nginx_same_headers
    }
  }
}
CONF
}
write_proxy_conf proxy "$nginx_port" "$nginx_affinity"
write_proxy_conf proxy-unpinned "$nginx_unpinned_port" ""

secret=bench-secret-that-is-long-enough-for-hs256
cat >"$work/plain.yaml" <<YAML
apiVersion: junction/v1
integration: { name: bench-gateway }
gateway:
  listen: 127.0.0.1:$junction_port
  access_log: { file: $work/junction-access.log, flush: 1s }
  routes:
    - path: /*
      methods: [GET]
      to: { upstream: backend }
upstreams:
  backend:
    targets: ["http://127.0.0.1:$upstream_port"]
    max_concurrent: 10000
YAML
cat >"$work/auth.yaml" <<YAML
apiVersion: junction/v1
integration: { name: bench-gateway-auth }
gateway:
  listen: 127.0.0.1:$junction_auth_port
  access_log: { file: $work/junction-auth-access.log, flush: 1s }
  auth:
    jwt: { issuer: bench, audience: bench, secret: "$secret", algorithms: [HS256] }
  routes:
    - path: /*
      methods: [GET]
      require: { auth: jwt }
      rate_limit: { key: consumer, limit: 10000000/s }
      to: { upstream: backend }
upstreams:
  backend:
    targets: ["http://127.0.0.1:$upstream_port"]
    max_concurrent: 10000
YAML
token=$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"iss": "bench", "aud": "bench", "sub": "bench-client",
                       "exp": int(time.time()) + 3600}).encode())
sig = b64(hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
)
