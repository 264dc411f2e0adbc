package main

import (
	"flag"
	"fmt"

	"attune/config"
)

// configFlags are the flags every configured command takes: --config and one
// flag per configuration key, derived from config.Keys so a new key gets its
// flag for free.
type configFlags struct {
	fs     *flag.FlagSet
	file   *string
	values map[string]*string // key name → raw value
	names  map[string]string  // flag name → key name
}

func addConfigFlags(fs *flag.FlagSet) *configFlags {
	cf := &configFlags{
		fs:     fs,
		file:   fs.String("config", "", "read configuration from this file (default: the first attune.yaml in ./, $XDG_CONFIG_HOME/attune, /etc/attune)"),
		values: map[string]*string{},
		names:  map[string]string{},
	}
	for _, k := range config.Keys() {
		cf.values[k.Name] = fs.String(k.Flag(), "", fmt.Sprintf("%s (config %s, env %s; default %s)", k.Help, k.Name, k.Env(), k.Default))
		cf.names[k.Flag()] = k.Name
	}
	return cf
}

// options returns the Load options of this process with the flags the user
// set; a flag left out does not override the file or the environment.
func (cf *configFlags) options() config.Options {
	o := config.SystemOptions()
	o.File = *cf.file
	o.Flags = map[string]string{}
	cf.fs.Visit(func(f *flag.Flag) {
		if key, ok := cf.names[f.Name]; ok {
			o.Flags[key] = *cf.values[key]
		}
	})
	return o
}
