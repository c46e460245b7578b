# Sourced by bench/*.sh: nginx as the ceiling an HTTP benchmark is compared
# with, answering a static JSON body on loopback, keep-alive without a
# request limit, no access log.
#
#   nginx_start DIR PORT WORKERS BODY    starts it in the background (its pid
#                                        in NGINX_PID) and waits until it listens
#   nginx_stop                           stops it
nginx_start() {
  local dir=$1 port=$2 workers=$3 body=$4
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<NGINX
worker_processes $workers;
daemon off;
error_log stderr warn;
pid nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path tmp;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/json;
      return 200 '$body';
    }
  }
}
NGINX
  nginx -p "$dir" -c "$dir/nginx.conf" &
  NGINX_PID=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nginx did not start listening on port $port" >&2
  return 1
}

nginx_stop() {
  [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  NGINX_PID=
  return 0
}
