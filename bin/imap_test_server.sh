#!/usr/bin/env bash
# A throwaway Dovecot IMAP server for the intake mailbox tests: its own config, users
# and maildirs under DIR, listening on 127.0.0.1:PORT (plain IMAP, a plain-text
# passdb), never touching the system's Dovecot. Prints the IMAP URL of its test user.
#
#   bin/imap_test_server.sh start DIR PORT   # then: imap://cordon:…@127.0.0.1:PORT
#   bin/imap_test_server.sh stop DIR
set -euo pipefail
command -v dovecot >/dev/null || { echo "dovecot is not installed (apt-get install dovecot-imapd)" >&2; exit 2; }
action=${1:?start or stop}
dir=$(realpath -m "${2:?directory}")
case "$action" in
stop)
    [ -f "$dir/dovecot.conf" ] && dovecot -c "$dir/dovecot.conf" stop 2>/dev/null || true
    exit 0
    ;;
start) ;;
*) echo "start or stop" >&2; exit 2 ;;
esac
port=${3:?port}
user=cordon
password=intake-test-only
mkdir -p "$dir/run" "$dir/state" "$dir/mail"
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then owner=dovecot; fi
chown -R "$owner" "$dir/mail" 2>/dev/null || true
chmod 0755 "$dir" "$dir/mail"
printf '%s:{PLAIN}%s\n' "$user" "$password" > "$dir/users"
cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$dir/mail/%u
first_valid_uid = 1
default_login_user = $( [ "$(id -u)" = 0 ] && echo dovenull || echo "$owner")
default_internal_user = $( [ "$(id -u)" = 0 ] && echo dovecot || echo "$owner")
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$owner gid=$owner home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
CONF
dovecot -c "$dir/dovecot.conf" </dev/null >/dev/null 2>&1
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
echo "imap://$user:$password@127.0.0.1:$port"
