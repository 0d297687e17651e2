// Stand-ins for the applications that are the operator's own (no public image exists): they
// answer on the ports and paths the seeds describe, so a preset's proxy routes can be tested
// end to end. Built by tests/images/build.sh into one image per application; the mode is the
// image's command:
//
//	reflector-frontend  HTTP on :3000, an HTML page at / (Reflector's Next.js app, seed 000)
//	reflector-backend   HTTP on :1250, GET /health -> {"status":"healthy"} as Reflector's
//	                    FastAPI app, and a JSON answer under /v1/ (the API routes Caddy forwards)
//	xr-hub              HTTPS on :8080 with a self-signed certificate made on first run and kept
//	                    in ~/.local/share/xr-ai/web-server.{crt,key}, issued by a CA made
//	                    with it (web-server-ca.crt), which GET /cert serves;
//	                    /rtc... is proxied (WebSocket upgrades included) to LIVEKIT_URL (LiveKit
//	                    on 127.0.0.1:7880); TLS on :48322 in place of the CloudXR WSS proxy
//	                    (seed 001)
//	dial HOST:PORT      exits 0 when a TCP connection to HOST:PORT succeeds (for tests)
//
// Every answer names the stand-in, so a test can tell which service answered.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "dial" {
		dial(os.Args[2])
		return
	}
	if len(os.Args) != 2 {
		log.Fatal("usage: appstandin reflector-frontend|reflector-backend|xr-hub, or appstandin dial HOST:PORT")
	}
	log.Printf("appstandin %s: starting", os.Args[1])
	switch os.Args[1] {
	case "reflector-frontend":
		log.Fatal(http.ListenAndServe(":3000", http.HandlerFunc(frontend)))
	case "reflector-backend":
		log.Fatal(http.ListenAndServe(":1250", http.HandlerFunc(backend)))
	case "xr-hub":
		xrHub()
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}

// dial connects to HOST:PORT over TCP and exits 0 when it can, 1 when it cannot: a test can
// ask what the app's container reaches on the stack's network.
func dial(addr string) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	conn.Close()
	fmt.Println("connected to", addr)
}

func frontend(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html>\n<title>Reflector</title>\n<p>reflector-frontend stand-in: %s</p>\n", r.URL.Path)
}

func backend(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/health":
		fmt.Fprint(w, `{"status":"healthy"}`)
	case strings.HasPrefix(r.URL.Path, "/v1/"):
		fmt.Fprintf(w, `{"standin":"reflector-backend","path":%q}`, r.URL.Path)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"detail":"Not Found"}`)
	}
}

func xrHub() {
	home, err := os.UserHomeDir()
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(home, ".local/share/xr-ai")
	certFile, keyFile := filepath.Join(dir, "web-server.crt"), filepath.Join(dir, "web-server.key")
	if _, err := os.Stat(certFile); err != nil {
		if err := selfSigned(dir, certFile, keyFile); err != nil {
			log.Fatalf("self-signed certificate: %v", err)
		}
		log.Printf("made a self-signed certificate at %s", certFile)
	}
	caPem, err := os.ReadFile(filepath.Join(dir, "web-server-ca.crt"))
	if err != nil {
		log.Fatal(err)
	}
	lk, err := url.Parse(os.Getenv("LIVEKIT_URL"))
	if err != nil || lk.Host == "" {
		log.Fatalf("LIVEKIT_URL %q is not a URL", os.Getenv("LIVEKIT_URL"))
	}
	lk.Scheme = strings.Replace(strings.Replace(lk.Scheme, "wss", "https", 1), "ws", "http", 1)
	proxy := httputil.NewSingleHostReverseProxy(lk)
	mux := http.NewServeMux()
	mux.Handle("/rtc", proxy)
	mux.Handle("/rtc/", proxy)
	mux.HandleFunc("/cert", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Write(caPem)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "xr-hub stand-in: web client\n")
	})
	go func() {
		cloudxr := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, "xr-hub stand-in: CloudXR WSS proxy\n")
		})
		log.Fatal(http.ListenAndServeTLS(":48322", certFile, keyFile, cloudxr))
	}()
	log.Fatal(http.ListenAndServeTLS(":8080", certFile, keyFile, mux))
}

// selfSigned writes a certificate for every address of this host (it runs with host
// networking) and its host name, valid for a year, issued by a CA of its own made at the same
// time (web-server-ca.crt: what /cert serves, for a client to trust); the key of that CA is not
// kept.
func selfSigned(dir, certFile, keyFile string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "xr-hub stand-in CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDer, err := x509.CreateCertificate(rand.Reader, &caTmpl, &caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDer)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tmpl := x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano() + 1),
		Subject:      pkix.Name{CommonName: "xr-hub stand-in"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", host},
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if ipnet, ok := a.(*net.IPNet); ok {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ipnet.IP)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDer, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	caPem := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDer})
	if err := os.WriteFile(filepath.Join(dir, "web-server-ca.crt"), caPem, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDer}), 0o600); err != nil {
		return err
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), caPem...)
	return os.WriteFile(certFile, chain, 0o644)
}
