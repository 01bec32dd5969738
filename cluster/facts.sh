# overlab facts: one round trip, POSIX sh, every probe optional.
r=$(uname -r 2>/dev/null)
echo '@@@ hostname'; cat /proc/sys/kernel/hostname 2>/dev/null || hostname 2>/dev/null
echo '@@@ uname'; echo "$r"; uname -m 2>/dev/null
echo '@@@ os-release'; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
echo '@@@ addr'; ip -o addr show 2>/dev/null
echo '@@@ ifconfig'; command -v ip >/dev/null 2>&1 || ifconfig -a 2>/dev/null
echo '@@@ inet6'; cat /proc/net/if_inet6 2>/dev/null
# ip first: a host in a network namespace may see another namespace's /sys.
echo '@@@ mtu'; if command -v ip >/dev/null 2>&1; then ip -o link show 2>/dev/null | awk '{n=$2; sub(/:$/,"",n); sub(/@.*/,"",n); for(i=3;i<NF;i++) if($i=="mtu") print n, $(i+1)}'
else for d in /sys/class/net/*; do [ -r "$d/mtu" ] && echo "${d##*/} $(cat "$d/mtu")"; done; fi
echo '@@@ route'; ip -o route show 2>/dev/null
echo '@@@ route6'; ip -o -6 route show 2>/dev/null
echo '@@@ procroute'; command -v ip >/dev/null 2>&1 || cat /proc/net/route 2>/dev/null
# The @...@ lists come from package feature (feature.Script).
echo '@@@ procnet'; for f in @PROCNET@; do [ -e "/proc/net/$f" ] && echo "$f"; done
echo '@@@ config'; cfg=$({ zcat /proc/config.gz 2>/dev/null || gzip -dc /proc/config.gz 2>/dev/null || cat "/boot/config-$r" 2>/dev/null; } | grep -E '^(# )?CONFIG_(MODULES|@CONFIG_RE@)[= ]'); echo "$cfg"
echo '@@@ modules'; for m in @MODULES@; do
  grep -q "^$m " /proc/modules 2>/dev/null && echo "loaded $m"
  [ -d "/sys/module/$m" ] && echo "sysmodule $m"
  grep -q "/$m\.ko" "/lib/modules/$r/modules.builtin" 2>/dev/null && echo "builtin $m"
done
[ -e /proc/modules ] && echo 'modules-enabled'
echo '@@@ loadable'; [ -d "/lib/modules/$r/kernel" ] && find "/lib/modules/$r/kernel" \( @KO_FIND@ \) 2>/dev/null
# Scanning kallsyms costs ~100 ms: only when there is no kernel config to read.
echo '@@@ kallsyms'; [ -n "$cfg" ] || grep -E '[[:space:]](@SYMBOL_RE@)([[:space:]]|$)' /proc/kallsyms 2>/dev/null
echo '@@@ end'
