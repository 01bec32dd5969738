package results

// FaultRun is what a fault lab did around its check: the faults it made
// and healed, and the diagnoses it expects of them.
type FaultRun struct {
	Faults []Fault `json:"applied"`
	// Diagnoses are the lab's expect_diagnoses, each with what the check
	// found; Unexpected are diagnoses found that the lab does not expect.
	Diagnoses  []DiagnosisCheck `json:"expect_diagnoses"`
	Unexpected []string         `json:"unexpected_diagnoses,omitempty"`
}

// Fault is one fault of the lab on one host.
type Fault struct {
	Host string `json:"host"`
	Kind string `json:"kind"`
	// What says what was made, as `overlab fault list` does.
	What  string `json:"what"`
	Note  string `json:"note,omitempty"`
	Error string `json:"error,omitempty"` // why it could not be made
	// Healed: undone after the check; HealError says why not.
	Healed    bool   `json:"healed"`
	HealError string `json:"heal_error,omitempty"`
}

// DiagnosisCheck is one diagnosis the lab expects, and whether the check
// made it.
type DiagnosisCheck struct {
	Pattern string   `json:"pattern"`
	Hosts   []string `json:"hosts"`
	// Says is a text the diagnosis's cause must contain, when given.
	Says  string `json:"says,omitempty"`
	Found bool   `json:"found"`
	// Got is the cause of the matching diagnosis, or what was found
	// instead.
	Got string `json:"got,omitempty"`
}

// Failed reports whether the fault run went otherwise than the lab says.
// A nil run (no fault lab) never fails.
func (f *FaultRun) Failed() bool {
	if f == nil {
		return false
	}
	for _, x := range f.Faults {
		if x.Error != "" || !x.Healed {
			return true
		}
	}
	for _, d := range f.Diagnoses {
		if !d.Found {
			return true
		}
	}
	return len(f.Unexpected) > 0
}
