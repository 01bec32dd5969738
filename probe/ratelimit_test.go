package probe

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServeLimitsAnswers: past its burst a probe answers nothing more until
// the rate lets it, on UDP, TCP and HTTP alike, proven requests included:
// nothing can make a probe spend more than its rate.
func TestServeLimitsAnswers(t *testing.T) {
	a := startServeWith(t, ServeConfig{ListenAddress: "127.0.0.1", AnswerRate: 0.01, AnswerBurst: 3})
	answered := 0
	for range 8 {
		conn, err := net.Dial("udp", a.UDP.String())
		if err != nil {
			t.Fatal(err)
		}
		datagram, _ := udpDatagram(0, &testToken, "udp", EchoSize)
		if _, err := conn.Write([]byte(datagram)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := conn.Read(make([]byte, 512)); err == nil {
			answered++
		}
		conn.Close()
	}
	if answered != 3 {
		t.Errorf("%d of 8 proven datagrams answered, want the burst of 3", answered)
	}
	tcp := Run(context.Background(), []Target{{ID: "t", Kind: KindTCP, Address: "127.0.0.1", Port: port(a.TCP), Probe: true, Auth: true}},
		WithTries(1), WithTimeout(500*time.Millisecond), WithToken(testToken))
	if tcp[0].Reachable {
		t.Errorf("tcp past the burst: %+v, want no banner", tcp[0])
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+a.HTTP[0].String()+"/", nil)
	line, _ := testToken.authLine("http")
	req.Header.Set(authHeader, line)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("http past the burst: %s, want 429", resp.Status)
	}
}
