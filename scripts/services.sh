#!/usr/bin/env bash
# Starts the services the synthetics deep-check tests call on loopback, each only when its port is closed:
#   MariaDB 3306 (root without a password over TCP), Redis 6379, RabbitMQ 5672 (guest/guest), NATS 4222.
# PostgreSQL is scripts/test.sh's own. scripts/setup.sh --test installs the Debian packages (mariadb-server,
# redis-server, rabbitmq-server, nats-server). Fails, naming the service, when one cannot be reached: the tests
# never skip a missing service.
set -euo pipefail

SUDO=""
[ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
LOGS="${TMPDIR:-/tmp}/reliability-services"
mkdir -p "$LOGS"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port seconds
  for _ in $(seq 1 "$2"); do port_open "$1" && return 0; sleep 1; done
  return 1
}
# an init script when the package installed one (containers have no systemd), else the daemon in the background
init_start() { # name
  if [ -x "/etc/init.d/$1" ]; then $SUDO "/etc/init.d/$1" start >"$LOGS/$1.log" 2>&1 || true; return 0; fi
  return 1
}
fail() { echo "[services] $1 is not reachable on 127.0.0.1:$2 (log: $LOGS)" >&2; exit 1; }

# ---- MariaDB ----
if ! port_open 3306; then
  echo "[services] starting MariaDB"
  init_start mariadb || {
    $SUDO mkdir -p /run/mysqld && $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
    nohup $SUDO mysqld_safe --bind-address=127.0.0.1 >"$LOGS/mariadb.log" 2>&1 &
  }
  wait_port 3306 60 || fail MariaDB 3306
fi
# Debian's root logs in by unix socket only: let it in over TCP without a password too (the tests connect so)
if command -v mariadb >/dev/null 2>&1 &&
  ! mariadb --protocol=tcp -h 127.0.0.1 -u root -e 'select 1' >/dev/null 2>&1; then
  $SUDO mariadb -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')" ||
    echo "[services] could not open MariaDB's root to TCP logins" >&2
fi

# ---- Redis ----
if ! port_open 6379; then
  echo "[services] starting Redis"
  init_start redis-server ||
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --logfile "$LOGS/redis.log"
  wait_port 6379 30 || fail Redis 6379
fi

# ---- RabbitMQ (guest/guest is allowed from loopback by default) ----
if ! port_open 5672; then
  echo "[services] starting RabbitMQ"
  init_start rabbitmq-server || {
    if [ "$(id -u)" = "0" ] && id rabbitmq >/dev/null 2>&1; then
      su rabbitmq -s /bin/sh -c 'rabbitmq-server -detached' >"$LOGS/rabbitmq.log" 2>&1
    else
      rabbitmq-server -detached >"$LOGS/rabbitmq.log" 2>&1
    fi
  }
  wait_port 5672 120 || fail RabbitMQ 5672
fi

# ---- NATS (Debian's nats-server package; no init script there) ----
if ! port_open 4222; then
  echo "[services] starting NATS"
  init_start nats-server || {
    command -v nats-server >/dev/null 2>&1 || fail "NATS (nats-server not installed)" 4222
    nohup nats-server -a 127.0.0.1 -p 4222 -l "$LOGS/nats.log" >/dev/null 2>&1 &
  }
  wait_port 4222 30 || fail NATS 4222
fi
echo "[services] MariaDB, Redis, RabbitMQ and NATS answer on 127.0.0.1"
