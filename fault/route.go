package fault

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/hostcmd"
)

// Route is the kind of a record that is no fault: a route a lab adds on a
// host (its routes:). It is recorded like a fault, with the command that
// removes it, so that `overlab down` removes it whatever became of the run
// that added it; `overlab fault heal` leaves it (IsFault).
const Route = "route"

// IsFault says whether a record is a fault, not a lab's route.
func IsFault(f Fault) bool { return f.Kind != Route }

// routeWhat names a lab's route in its record: "lab direct-routing: route
// to 10.200.0.0/24 via 192.168.56.11".
func routeWhat(lab string, dest netip.Prefix, via netip.Addr) string {
	return fmt.Sprintf("lab %s: route to %s via %s", lab, dest, via)
}

// RouteLab is the lab a route record belongs to; "" for a fault.
func RouteLab(f Fault) string {
	if f.Kind != Route {
		return ""
	}
	rest, ok := strings.CutPrefix(f.What, "lab ")
	if !ok {
		return ""
	}
	lab, _, _ := strings.Cut(rest, ":")
	return lab
}

// ForLab matches the faults, and the routes of lab: what its down removes
// (the routes of another lab still up stay).
func ForLab(lab string) func(Fault) bool {
	return func(f Fault) bool { return IsFault(f) || RouteLab(f) == lab }
}

// WantedRoute is a route a lab wants on a host.
type WantedRoute struct {
	Dest netip.Prefix
	Via  netip.Addr
}

// EnsureRoutes makes the routes recorded for lab on h the wanted ones:
// it removes the lab's routes that are no longer wanted, then adds the
// missing ones, each recorded. A route to a destination that h already
// has and that overlab did not add is refused, never replaced. It returns
// what it did, one line each.
func EnsureRoutes(ctx context.Context, h hostcmd.Host, lab string, want []WantedRoute) ([]string, error) {
	wanted := map[string]WantedRoute{}
	for _, w := range want {
		wanted[routeWhat(lab, w.Dest, w.Via)] = w
	}
	stale, err := HealWhere(ctx, h, func(f Fault) bool {
		_, keep := wanted[f.What]
		return RouteLab(f) == lab && !keep
	})
	var acts []string
	for _, f := range stale {
		acts = append(acts, fmt.Sprintf("%s: removed %s", h.Name(), f.What))
	}
	if err != nil {
		return acts, err
	}
	have, err := List(ctx, h)
	if err != nil {
		return acts, err
	}
	recorded := map[string]bool{}
	for _, f := range have {
		recorded[f.What] = true
	}
	var errs *multierror.Error
	for _, w := range want {
		what := routeWhat(lab, w.Dest, w.Via)
		if recorded[what] {
			continue
		}
		id := nextID(have)
		if err := addRoute(ctx, h, w, what, id); err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		have = append(have, Fault{ID: fmt.Sprint(id)})
		recorded[what] = true
		acts = append(acts, fmt.Sprintf("%s: added %s", h.Name(), what))
	}
	return acts, errs.ErrorOrNil()
}

// addRoute adds one route and records it; a route that cannot be
// recorded is taken away again.
func addRoute(ctx context.Context, h hostcmd.Host, w WantedRoute, what string, id int) error {
	add := fmt.Sprintf("ip route add %s via %s", w.Dest, w.Via)
	undo := fmt.Sprintf("ip route del %s via %s", w.Dest, w.Via)
	if _, err := hostcmd.RunRoot(ctx, h, add); err != nil {
		if strings.Contains(err.Error(), "File exists") {
			return fmt.Errorf("%s: it has a route to %s already, which overlab did not add: overlab changes nothing it did not make; remove it (ip route del %s) or give the lab network another subnet", h.Name(), w.Dest, w.Dest)
		}
		return fmt.Errorf("%s: adding the route to %s via %s: %w", h.Name(), w.Dest, w.Via, err)
	}
	f := Fault{ID: fmt.Sprint(id), Host: h.Name(), Kind: Route, What: what, Undo: undo}
	if err := record(ctx, h, f); err != nil {
		_, _ = hostcmd.RunRoot(context.WithoutCancel(ctx), h, undo)
		return err
	}
	return nil
}

// recordNoun names a record in messages.
func recordNoun(f Fault) string {
	if f.Kind == Route {
		return "route"
	}
	return "fault"
}
