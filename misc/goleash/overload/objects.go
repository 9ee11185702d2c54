// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"fmt"
	"time"
)

// The objects a LIST returns, shaped like Kubernetes pods: nested structs,
// maps and slices of short strings, which is what makes encoding/json slow
// and the server's copies large.

type List struct {
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Items      []Object `json:"items"`
}

type Object struct {
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
	Status     Status   `json:"status"`
}

type Metadata struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               string            `json:"uid"`
	ResourceVersion   string            `json:"resourceVersion"`
	CreationTimestamp time.Time         `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels"`
	Annotations       map[string]string `json:"annotations"`
}

type Spec struct {
	NodeName   string      `json:"nodeName"`
	Containers []Container `json:"containers"`
}

type Container struct {
	Name      string            `json:"name"`
	Image     string            `json:"image"`
	Args      []string          `json:"args"`
	Env       []EnvVar          `json:"env"`
	Resources map[string]string `json:"resources"`
}

type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type Status struct {
	Phase      string      `json:"phase"`
	PodIP      string      `json:"podIP"`
	Conditions []Condition `json:"conditions"`
}

type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	Reason             string    `json:"reason"`
	Message            string    `json:"message"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// makeObjects returns n distinct objects.
func makeObjects(n int) []Object {
	t0 := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	objs := make([]Object, n)
	for i := range objs {
		o := &objs[i]
		o.Kind, o.APIVersion = "Pod", "v1"
		o.Metadata = Metadata{
			Name:              fmt.Sprintf("frontend-%d-%x", i, i*7919),
			Namespace:         fmt.Sprintf("team-%d", i%37),
			UID:               fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", i, i%65536, 4096+i%4096, 32768+i%16384, i*104729),
			ResourceVersion:   fmt.Sprint(1000000 + i),
			CreationTimestamp: t0.Add(time.Duration(i) * time.Second),
			Labels:            map[string]string{"app": "frontend", "tier": "web", "release": fmt.Sprintf("r%d", i%11), "pod-template-hash": fmt.Sprintf("%x", i*31)},
			Annotations:       map[string]string{"kubectl.kubernetes.io/restartedAt": t0.Format(time.RFC3339), "checksum/config": fmt.Sprintf("%064x", i)},
		}
		for c := 0; c < 2; c++ {
			ctr := Container{
				Name:      fmt.Sprintf("c%d", c),
				Image:     fmt.Sprintf("registry.example.com/team/app:v1.%d.%d", i%13, c),
				Args:      []string{"--port=8080", "--log-level=info", fmt.Sprintf("--shard=%d", i%64)},
				Resources: map[string]string{"cpu": "250m", "memory": "512Mi"},
			}
			for e := 0; e < 6; e++ {
				ctr.Env = append(ctr.Env, EnvVar{Name: fmt.Sprintf("ENV_%d", e), Value: fmt.Sprintf("value-%d-%d", i, e)})
			}
			o.Spec.Containers = append(o.Spec.Containers, ctr)
		}
		o.Spec.NodeName = fmt.Sprintf("node-%d", i%500)
		o.Status = Status{Phase: "Running", PodIP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
		for _, typ := range []string{"Initialized", "Ready", "ContainersReady", "PodScheduled"} {
			o.Status.Conditions = append(o.Status.Conditions, Condition{Type: typ, Status: "True", Reason: "Started", Message: "all containers started", LastTransitionTime: t0})
		}
	}
	return objs
}

// deepCopy copies objs as a server copies cached objects into a response:
// every map and slice anew.
func deepCopy(objs []Object) []Object {
	out := make([]Object, len(objs))
	for i, o := range objs {
		o.Metadata.Labels = copyMap(o.Metadata.Labels)
		o.Metadata.Annotations = copyMap(o.Metadata.Annotations)
		ctrs := make([]Container, len(o.Spec.Containers))
		for j, c := range o.Spec.Containers {
			c.Args = append([]string(nil), c.Args...)
			c.Env = append([]EnvVar(nil), c.Env...)
			c.Resources = copyMap(c.Resources)
			ctrs[j] = c
		}
		o.Spec.Containers = ctrs
		o.Status.Conditions = append([]Condition(nil), o.Status.Conditions...)
		out[i] = o
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
