package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"gopkg.in/yaml.v3"

	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/report"
	"github.com/overlab/overlab/results"
)

// Server serves a watch's state: the live page at /, its script, the
// latest document at /api/matrix, the transitions at /api/events, the
// page's updates at /api/stream (server-sent events) and the metrics at
// /metrics; TLS and basic auth come from the exporter toolkit's web
// configuration file, as for every Prometheus exporter.
type Server struct {
	ln        net.Listener
	webConfig string
	tls       bool
	srv       *http.Server
	state     *State
	done      chan struct{}
	served    chan error
	logger    log.Logger

	closeOnce sync.Once

	mu       sync.Mutex
	sections []byte // the last round's update event, rendered once
	secRound int
}

// Listen checks the web configuration file (its users, its certificate
// and key) and takes the listen address, before anything else happens, so
// that a bad file or an address in use is said at once and nothing is made
// on the hosts.
func Listen(addr, webConfig string) (*Server, error) {
	tlsOn := false
	if webConfig != "" {
		if _, err := os.Stat(webConfig); err != nil {
			return nil, fmt.Errorf("--web-config %s: %w", webConfig, err)
		}
		if err := web.Validate(webConfig); err != nil {
			return nil, fmt.Errorf("--web-config %s: %w (the file's format: https://prometheus.io/docs/prometheus/latest/configuration/https/)", webConfig, err)
		}
		tlsOn = webConfigHasTLS(webConfig)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("--listen %s: the address is in use (another overlab watch, or an exporter?): pick another port, e.g. --listen 127.0.0.1:0 for any free one", addr)
		}
		return nil, fmt.Errorf("--listen %s: %w (want HOST:PORT, e.g. 127.0.0.1:9469)", addr, err)
	}
	return &Server{ln: ln, webConfig: webConfig, tls: tlsOn, done: make(chan struct{}), served: make(chan error, 1)}, nil
}

// webConfigHasTLS says whether a valid web configuration turns TLS on:
// it names a certificate.
func webConfigHasTLS(path string) bool {
	var c struct {
		TLS struct {
			Cert     string `yaml:"cert"`
			CertFile string `yaml:"cert_file"`
		} `yaml:"tls_server_config"`
	}
	b, err := os.ReadFile(path)
	if err != nil || yaml.Unmarshal(b, &c) != nil {
		return false
	}
	return c.TLS.Cert != "" || c.TLS.CertFile != ""
}

// Addr is the address the server listens on (the port chosen, for :0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the page's address.
func (s *Server) URL() string {
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String() + "/"
}

// Loopback says whether the server only listens on a loopback address.
func (s *Server) Loopback() bool {
	ap, ok := s.ln.Addr().(*net.TCPAddr)
	return ok && ap.IP.IsLoopback()
}

// Serve starts serving state in the background.
func (s *Server) Serve(state *State, logger log.Logger) {
	s.state, s.logger = state, logger
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(newRegistry(state), promhttp.HandlerOpts{ErrorLog: promLogger{logger}}))
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /live.js", s.script)
	mux.HandleFunc("GET /api/matrix", s.matrix)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/stream", s.stream)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelError)}
	flags := &web.FlagConfig{WebListenAddresses: &[]string{s.ln.Addr().String()}, WebSystemdSocket: new(bool), WebConfigFile: &s.webConfig}
	go func() {
		s.served <- web.Serve(s.ln, s.srv, flags, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
}

// Close stops the server within a second: the page's streams end first.
// It may be called more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		if s.srv == nil {
			err = s.ln.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if serr := s.srv.Shutdown(ctx); serr != nil {
			err = s.srv.Close()
		}
	})
	return err
}

// Err is the server's error when it stopped on its own.
func (s *Server) Err() <-chan error { return s.served }

type promLogger struct{ l log.Logger }

// Println: a scrape's write fails when its client went away; that is the
// client's business, said only with -v.
func (p promLogger) Println(v ...any) { p.l.V(1).Infof("metrics: %s", fmt.Sprint(v...)) }

// securityHeaders keep the page to itself: its own script only, nothing
// fetched from elsewhere, never framed.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	snap, _ := s.state.Current()
	var buf bytes.Buffer
	if err := report.LivePage(&buf, snap.Doc, liveStatus(snap)); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) script(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = w.Write(report.LiveScript())
}

// matrix is the last round's document, in the results schema.
func (s *Server) matrix(w http.ResponseWriter, r *http.Request) {
	snap, _ := s.state.Current()
	securityHeaders(w)
	if snap.Doc == nil {
		http.Error(w, "no check round has ended yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = snap.Doc.Encode(w)
}

// events are the latest transitions, oldest first, as in the events file.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	snap, _ := s.state.Current()
	securityHeaders(w)
	w.Header().Set("Content-Type", "application/json")
	evs := snap.Events
	if evs == nil {
		evs = []results.Event{}
	}
	_ = json.NewEncoder(w).Encode(evs)
}

// stream sends the page's sections after every round, as server-sent
// events, until the client or the server goes.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	sent := -1
	for {
		snap, changed := s.state.Current()
		if snap.Round != sent && snap.Round > 0 {
			msg, err := s.update(snap)
			if err != nil {
				s.logger.Warnf("live page: %v", err)
				return
			}
			if _, err := w.Write(msg); err != nil {
				return
			}
			fl.Flush()
			sent = snap.Round
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-time.After(25 * time.Second):
			// A comment keeps proxies from closing an idle stream.
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// update is the event that carries snap's sections, rendered once per
// round for every client.
func (s *Server) update(snap *Snapshot) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sections != nil && s.secRound == snap.Round {
		return s.sections, nil
	}
	secs, err := report.LiveSections(snap.Doc, liveStatus(snap))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(struct {
		Round    int               `json:"round"`
		Sections map[string]string `json:"sections"`
	}{snap.Round, secs})
	if err != nil {
		return nil, err
	}
	s.sections, s.secRound = []byte("event: update\ndata: "+string(data)+"\n\n"), snap.Round
	return s.sections, nil
}

func liveStatus(snap *Snapshot) report.LiveStatus {
	st := report.LiveStatus{Target: snap.Target, Round: snap.Round, Interval: snap.Interval, Checked: snap.Checked, Took: snap.Took, Error: snap.Err, Events: snap.Events}
	for _, h := range snap.Hosts {
		st.Hosts = append(st.Hosts, report.LiveHost{Name: h.Name, Up: h.Up, Cause: h.Cause})
	}
	return st
}
