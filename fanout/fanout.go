package fanout

import (
	"sort"
	"sync"

	"github.com/hashicorp/go-multierror"
)

// Each runs fn(i) for every index of names at once and waits for all. Each
// error is prefixed with names[i]; nil when every call succeeded.
func Each(names []string, fn func(i int) error) error {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		result *multierror.Error
	)
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i); err != nil {
				mu.Lock()
				result = multierror.Append(result, multierror.Prefix(err, names[i]+":"))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if result != nil {
		sort.Slice(result.Errors, func(a, b int) bool { return result.Errors[a].Error() < result.Errors[b].Error() })
	}
	return result.ErrorOrNil()
}
