{{/*
Names, labels and the few computed values the templates share. Each template stays a thin
mapping from values to one object; the logic lives here and in _validate.tpl.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "kds-webhook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every object name and the Service name (so also the serving certificate's DNS
name). The release name alone when it already contains the chart name:
`helm install kds-webhook` gives "kds-webhook", like `kds-webhook manifests`.
*/}}
{{- define "kds-webhook.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "kds-webhook.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "kds-webhook.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "kds-webhook.labels" -}}
helm.sh/chart: {{ include "kds-webhook.chart" . }}
{{ include "kds-webhook.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The labels the Deployment, Service, PodDisruptionBudget and spread constraint select on. */}}
{{- define "kds-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kds-webhook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* repository:tag (tag defaults to appVersion), or repository@digest. */}}
{{- define "kds-webhook.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "kds-webhook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kds-webhook.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The TLS Secret the pods mount: the chart's or cert-manager's "<fullname>-tls", or tls.secretName. */}}
{{- define "kds-webhook.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" -}}
{{- .Values.tls.secretName -}}
{{- else -}}
{{- printf "%s-tls" (include "kds-webhook.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The serving certificate's DNS names: <svc>.<ns>.svc and <svc>.<ns>.svc.cluster.local. */}}
{{- define "kds-webhook.dnsNames" -}}
{{- $svc := printf "%s.%s.svc" (include "kds-webhook.fullname" .) .Release.Namespace -}}
{{- list $svc (printf "%s.cluster.local" $svc) | toJson -}}
{{- end -}}

{{/*
tls.mode=helm: the CA, certificate and key as YAML {ca, crt, key}. Reuses the existing Secret
(lookup) so upgrades keep the CA, unless tls.helm.regenerate. Generated once per render and
memoized in .Values (the one map all templates of a release share), so the Secret, the
caBundle and the checksum annotation agree.
*/}}
{{- define "kds-webhook.tlsMaterial" -}}
{{- if not (hasKey .Values "kdsWebhookGeneratedTLS") -}}
{{- $material := dict -}}
{{- if not .Values.tls.helm.regenerate -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "kds-webhook.tlsSecretName" .) -}}
{{- if $existing -}}
{{- $data := $existing.data | default dict -}}
{{- if and (hasKey $data "ca.crt") (hasKey $data "tls.crt") (hasKey $data "tls.key") -}}
{{- $material = dict "ca" (index $data "ca.crt" | b64dec) "crt" (index $data "tls.crt" | b64dec) "key" (index $data "tls.key" | b64dec) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $material -}}
{{- $dns := include "kds-webhook.dnsNames" . | fromJsonArray -}}
{{- $days := int .Values.tls.helm.validityDays -}}
{{- $ca := genCA (printf "%s-ca" (include "kds-webhook.fullname" .)) $days -}}
{{- $cert := genSignedCert (first $dns) nil $dns $days $ca -}}
{{- $material = dict "ca" $ca.Cert "crt" $cert.Cert "key" $cert.Key -}}
{{- end -}}
{{- $_ := set .Values "kdsWebhookGeneratedTLS" $material -}}
{{- end -}}
{{- toYaml .Values.kdsWebhookGeneratedTLS -}}
{{- end -}}

{{/* The webhooks' caBundle (base64 of the CA's PEM); empty with cert-manager, whose cainjector fills it. */}}
{{- define "kds-webhook.caBundle" -}}
{{- if eq .Values.tls.mode "helm" -}}
{{- (include "kds-webhook.tlsMaterial" . | fromYaml).ca | b64enc -}}
{{- else if eq .Values.tls.mode "secret" -}}
{{- .Values.tls.caBundle | b64enc -}}
{{- end -}}
{{- end -}}

{{/* The policy file's text, from values `policy` (object or string); empty for none. */}}
{{- define "kds-webhook.policy" -}}
{{- if kindIs "string" .Values.policy -}}
{{- .Values.policy -}}
{{- else if .Values.policy -}}
{{- toYaml .Values.policy -}}
{{- end -}}
{{- end -}}

{{/* Namespaces neither webhook sees: the release namespace, kube-system, webhook.excludeNamespaces. */}}
{{- define "kds-webhook.excludedNamespaces" -}}
{{- concat (list .Release.Namespace "kube-system") .Values.webhook.excludeNamespaces | uniq | toJson -}}
{{- end -}}

{{/* clientConfig of one webhook; call with (dict "root" $ "path" "/mutate"). */}}
{{- define "kds-webhook.clientConfig" -}}
{{- with include "kds-webhook.caBundle" .root -}}
caBundle: {{ . }}
{{ end -}}
service:
  name: {{ include "kds-webhook.fullname" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path }}
  port: {{ .root.Values.service.port }}
{{- end -}}

{{/* The settings both webhooks share, after name and clientConfig. */}}
{{- define "kds-webhook.webhookCommon" -}}
admissionReviewVersions: ["v1"]
failurePolicy: {{ .Values.webhook.failurePolicy }}
matchPolicy: Equivalent
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "kds-webhook.excludedNamespaces" . }}
rules:
  - apiGroups: ["kubernetes.project-planton.org"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["kubernetesdaemonsets"]
    scope: Namespaced
sideEffects: None
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
{{- end -}}

{{/* The webhook configurations' metadata.annotations (cert-manager's CA injection + values). */}}
{{- define "kds-webhook.webhookAnnotations" -}}
{{- $annotations := deepCopy .Values.webhook.annotations -}}
{{- if eq .Values.tls.mode "cert-manager" -}}
{{- $_ := set $annotations "cert-manager.io/inject-ca-from" (printf "%s/%s-tls" .Release.Namespace (include "kds-webhook.fullname" .)) -}}
{{- end -}}
{{- with $annotations -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* A CEL list of strings, ['a', 'b'], from a list (entries hold no quote: the schema says so). */}}
{{- define "kds-webhook.celList" -}}
{{- $quoted := list -}}
{{- range . -}}
{{- $quoted = append $quoted (printf "'%s'" .) -}}
{{- end -}}
[{{ join ", " $quoted }}]
{{- end -}}

{{/*
The drift guard's exempt writers, as CEL: the controller's ServiceAccount
(<fullname>-controller in the release namespace), the garbage collector, the namespace
controller, and members of driftGuard.breakGlassGroups. The same text as
`kds-webhook manifests` (src/install/access.rs).
*/}}
{{- define "kds-webhook.driftGuardExempt" -}}
{{- $users := list (printf "system:serviceaccount:%s:%s-controller" .Release.Namespace (include "kds-webhook.fullname" .)) "system:serviceaccount:kube-system:generic-garbage-collector" "system:serviceaccount:kube-system:namespace-controller" -}}
request.userInfo.username in {{ include "kds-webhook.celList" $users }} || (has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in {{ include "kds-webhook.celList" .Values.driftGuard.breakGlassGroups }}))
{{- end -}}
