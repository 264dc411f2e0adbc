package config_test

import (
	"flag"
	"fmt"
	"os"

	"attune/config"
)

// Flags are derived from the table; only the flags the user set are passed
// to Load, so that unset flags do not hide the file and the environment.
func ExampleLoad() {
	fs := flag.NewFlagSet("attune", flag.ContinueOnError)
	configFile := fs.String("config", "", "config file")
	keyOfFlag := map[string]string{}
	for _, k := range config.Keys() {
		fs.String(k.Flag(), "", fmt.Sprintf("%s (default %s; env %s)", k.Help, k.Default, k.Env()))
		keyOfFlag[k.Flag()] = k.Name
	}
	if err := fs.Parse([]string{"--data-dir=/srv/attune", "--library-workers", "2"}); err != nil {
		fmt.Println(err)
		return
	}
	opts := config.Options{ // in main: config.SystemOptions()
		WorkDir: "/", Home: "/home/x", NumCPU: 4, Dirs: []string{},
		File:  *configFile,
		Flags: map[string]string{},
	}
	fs.Visit(func(f *flag.Flag) {
		if key, ok := keyOfFlag[f.Name]; ok {
			opts.Flags[key] = f.Value.String()
		}
	})
	l, err := config.Load(opts)
	if err != nil {
		fmt.Println(err) // and exit 2 if errors.Is(err, config.ErrInvalid)
		return
	}
	if err := l.WriteYAML(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # effective attune configuration; no config file
	// data_dir: /srv/attune # flag --data-dir
	// library:
	//   dir: /srv/attune/media # default
	//   watch: [] # default
	//   max_file_size: 1GiB # default
	//   workers: 2 # flag --library-workers
	//   probe_timeout: 10s # default
	// audio:
	//   sample_rate: 48000 # default
	//   pause_fade: 2s # default
	//   skip_fade: 4s # default
	//   max_slew: 6 # default
	//   ceiling: -1 # default
	//   loudness_target: -18 # default
	// server:
	//   listen: 127.0.0.1:8480 # default
	//   origins: [] # default
	//   tls_cert: "" # default
	//   tls_key: "" # default
	//   max_upload: 1GiB # default
	//   patient_grace: 30m # default
	//   session_ttl: 12h # default
	// log:
	//   level: info # default
	// # rooms come from the config file only (no env or flag form)
	// rooms: # default
	//   - name: Room 1 # default
	//     ceiling: -1 # default (audio.ceiling)
	//     loudness_target: -18 # default (audio.loudness_target)
	//     volume: -12 # default
	//     patient_volume:
	//       min: -30 # default
	//       max: -6 # default
	//     outputs: # default
	//       - name: stream # default
	//         type: stream # default
	//         bitrate: 256 # default
	//         trim: 0 # default
	//         optional: false # default
	//       - name: speaker # default
	//         type: speaker # default
	//         device: default # default
	//         trim: 0 # default
	//         optional: true # default
	// # route profiles come from the config file only; the built-ins are listed too
	// profiles: # default
	//   - name: intranasal # default
	//     onset:
	//       min: 10m # default
	//       max: 15m # default
	//     effect:
	//       min: 30m # default
	//       max: 45m # default
	//     return:
	//       min: 15m # default
	//       max: 20m # default
	//     observe_until: 2h # default
	//   - name: intramuscular # default
	//     onset:
	//       min: 2m # default
	//       max: 5m # default
	//     effect:
	//       min: 45m # default
	//       max: 1h # default
	//     return:
	//       min: 15m # default
	//       max: 20m # default
	//     observe_until: 2h # default
	//   - name: intravenous # default
	//     onset:
	//       min: 1m # default
	//       max: 5m # default
	//     effect:
	//       min: 35m # default
	//       max: 45m # default
	//     return:
	//       min: 20m # default
	//       max: 30m # default
	//     observe_until: 2h # default
	//   - name: sublingual # default
	//     onset:
	//       min: 15m # default
	//       max: 20m # default
	//     effect:
	//       min: 40m # default
	//       max: 1h # default
	//     return:
	//       min: 20m # default
	//       max: 30m # default
	//     observe_until: 2h30m # default
}
