{{/*
Cross-field checks that values.schema.json cannot express. Included once, from
deployment.yaml; every failure says what is wrong and how to fix it.
*/}}
{{- define "kds-webhook.validate" -}}
{{- $v := .Values -}}

{{- if lt (int $v.replicaCount) 1 -}}
{{- fail "replicaCount must be at least 1: with failurePolicy Fail and no pod, every write of a KubernetesDaemonSet is rejected" -}}
{{- end -}}

{{- if $v.podDisruptionBudget.enabled -}}
{{- if lt (int $v.replicaCount) 2 -}}
{{- fail "podDisruptionBudget.enabled needs replicaCount >= 2: with one replica the budget either blocks every node drain or protects nothing. Set replicaCount: 2 or podDisruptionBudget.enabled: false" -}}
{{- end -}}
{{- if or (eq (toString $v.podDisruptionBudget.maxUnavailable) "0") (eq (toString $v.podDisruptionBudget.maxUnavailable) "0%") -}}
{{- fail "podDisruptionBudget.maxUnavailable must be at least 1 (or 1%): 0 blocks every node drain" -}}
{{- end -}}
{{- end -}}

{{- if eq $v.tls.mode "secret" -}}
{{- if not $v.tls.secretName -}}
{{- fail "tls.mode=secret needs tls.secretName: the name of an existing kubernetes.io/tls Secret in the release namespace" -}}
{{- end -}}
{{- if not $v.tls.caBundle -}}
{{- fail "tls.mode=secret needs tls.caBundle: the PEM of the CA that signed tls.secretName's certificate, or the API server cannot verify the webhook" -}}
{{- end -}}
{{- if not (contains "-----BEGIN CERTIFICATE-----" $v.tls.caBundle) -}}
{{- fail "tls.caBundle must be PEM text (-----BEGIN CERTIFICATE-----), not base64: the chart encodes it" -}}
{{- end -}}
{{- else -}}
{{- if or $v.tls.secretName $v.tls.caBundle -}}
{{- fail (printf "tls.secretName and tls.caBundle are only used with tls.mode=secret, but tls.mode=%s: set tls.mode=secret or remove them" $v.tls.mode) -}}
{{- end -}}
{{- end -}}

{{- if and $v.tls.certManager.issuerRef (ne $v.tls.mode "cert-manager") -}}
{{- fail "tls.certManager.issuerRef is only used with tls.mode=cert-manager" -}}
{{- end -}}
{{- if and $v.tls.certManager.issuerRef (not $v.tls.certManager.issuerRef.name) -}}
{{- fail "tls.certManager.issuerRef needs a name" -}}
{{- end -}}

{{- $timeout := $v.server.shutdownTimeout -}}
{{- $seconds := 0 -}}
{{- if hasSuffix "ms" $timeout -}}
{{- $seconds = div (trimSuffix "ms" $timeout | int) 1000 -}}
{{- else if hasSuffix "s" $timeout -}}
{{- $seconds = trimSuffix "s" $timeout | int -}}
{{- else if hasSuffix "m" $timeout -}}
{{- $seconds = mul (trimSuffix "m" $timeout | int) 60 -}}
{{- else if hasSuffix "h" $timeout -}}
{{- $seconds = mul (trimSuffix "h" $timeout | int) 3600 -}}
{{- end -}}
{{- if ge (add (int $seconds) (int $v.preStopSleepSeconds)) (int $v.terminationGracePeriodSeconds) -}}
{{- fail (printf "preStopSleepSeconds (%d) plus server.shutdownTimeout (%s) must be shorter than terminationGracePeriodSeconds (%d), or pods are killed mid-drain" (int $v.preStopSleepSeconds) $timeout (int $v.terminationGracePeriodSeconds)) -}}
{{- end -}}

{{- if eq (int $v.containerPorts.https) (int $v.containerPorts.admin) -}}
{{- fail "containerPorts.https and containerPorts.admin must differ" -}}
{{- end -}}

{{- if has .Release.Namespace (list "kube-system" "default") -}}
{{- fail (printf "install kds-webhook into its own namespace (e.g. -n kds-system --create-namespace), not %q: the release namespace is excluded from the webhooks" .Release.Namespace) -}}
{{- end -}}
{{- end -}}
