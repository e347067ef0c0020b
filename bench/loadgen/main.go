// The load generator of bench/bench_compare.py: keep-alive HTTP/1.1 from a fixed
// number of workers for a fixed time, cheap enough not to starve the servers on a
// 2-core machine (Go's standard library only; built by the benchmark at run time).
//
// Reads one JSON job on stdin, prints "ready", waits for a line on stdin, runs, then
// prints one JSON result: requests completed per status, elapsed seconds, latency
// percentiles, and this process's own CPU seconds (getrusage) during the run.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type Job struct {
	Method      string   `json:"method"`
	URLs        []string `json:"urls"`   // spread round-robin over the requests
	Tokens      []string `json:"tokens"` // Bearer tokens, round-robin; none: no Authorization
	Bodies      []string `json:"bodies"` // JSON bodies, round-robin; none: no body
	Concurrency int      `json:"concurrency"`
	Seconds     float64  `json:"seconds"`
}

type Result struct {
	Statuses map[string]int `json:"statuses"`
	Elapsed  float64        `json:"elapsed"`
	P50Ms    float64        `json:"p50_ms"`
	P99Ms    float64        `json:"p99_ms"`
	CPU      float64        `json:"cpu_seconds"`
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}

func main() {
	in := bufio.NewReader(os.Stdin)
	var job Job
	if err := json.NewDecoder(in).Decode(&job); err != nil {
		fmt.Fprintln(os.Stderr, "bad job:", err)
		os.Exit(2)
	}
	transport := &http.Transport{
		MaxIdleConns:        job.Concurrency * 2,
		MaxIdleConnsPerHost: job.Concurrency,
		MaxConnsPerHost:     job.Concurrency,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	bodies := make([][]byte, len(job.Bodies))
	for i, body := range job.Bodies {
		bodies[i] = []byte(body)
	}
	fmt.Println("ready")
	if _, err := in.ReadString('\n'); err != nil && err != io.EOF {
		os.Exit(2)
	}

	var next int64 = -1
	var mu sync.Mutex
	statuses := map[string]int{}
	var latencies []time.Duration
	started := time.Now()
	deadline := started.Add(time.Duration(job.Seconds * float64(time.Second)))
	cpuStart := cpuSeconds()
	var wg sync.WaitGroup
	for w := 0; w < job.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := map[string]int{}
			var lat []time.Duration
			for time.Now().Before(deadline) {
				n := int(atomic.AddInt64(&next, 1))
				var body io.Reader
				if len(bodies) > 0 {
					body = bytes.NewReader(bodies[n%len(bodies)])
				}
				request, _ := http.NewRequest(job.Method, job.URLs[n%len(job.URLs)], body)
				if len(bodies) > 0 {
					request.Header.Set("Content-Type", "application/json")
				}
				if len(job.Tokens) > 0 {
					request.Header.Set("Authorization", "Bearer "+job.Tokens[n%len(job.Tokens)])
				}
				t0 := time.Now()
				response, err := client.Do(request)
				if err != nil {
					mine["error"]++
					continue
				}
				io.Copy(io.Discard, response.Body)
				response.Body.Close()
				lat = append(lat, time.Since(t0))
				mine[fmt.Sprint(response.StatusCode)]++
			}
			mu.Lock()
			for k, v := range mine {
				statuses[k] += v
			}
			latencies = append(latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	result := Result{Statuses: statuses, Elapsed: time.Since(started).Seconds(), CPU: cpuSeconds() - cpuStart}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if len(latencies) > 0 {
		result.P50Ms = float64(latencies[len(latencies)/2].Microseconds()) / 1000
		result.P99Ms = float64(latencies[len(latencies)*99/100].Microseconds()) / 1000
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}
