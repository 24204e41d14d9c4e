{{/*
Names, labels, image and value checks of the controller (`kds-webhook controller`); its
objects are the controller-*.yaml templates.
*/}}

{{/* "<fullname>-controller": Deployment, ServiceAccount, ClusterRole(Binding), PDB and Lease. */}}
{{- define "kds-webhook.controllerName" -}}
{{- printf "%s-controller" (include "kds-webhook.fullname" .) -}}
{{- end -}}

{{/*
The labels the controller's Deployment, PodDisruptionBudget and spread constraint select on.
Its own app.kubernetes.io/name, so the webhook's Service, Deployment and PodDisruptionBudget
(which select on the chart name) never match controller pods.
*/}}
{{- define "kds-webhook.controllerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "kds-webhook.name" . }}-controller
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every controller object. */}}
{{- define "kds-webhook.controllerLabels" -}}
helm.sh/chart: {{ include "kds-webhook.chart" . }}
{{ include "kds-webhook.controllerSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: {{ include "kds-webhook.name" . }}
{{- end -}}

{{/*
The controller's image: controller.image where set, else the webhook's image (the same
binary). A controller.image.digest or .tag replaces the webhook's tag and digest.
*/}}
{{- define "kds-webhook.controllerImage" -}}
{{- $c := .Values.controller.image -}}
{{- $repository := default .Values.image.repository $c.repository -}}
{{- if $c.digest -}}
{{- printf "%s@%s" $repository $c.digest -}}
{{- else if $c.tag -}}
{{- printf "%s:%s" $repository $c.tag -}}
{{- else if .Values.image.digest -}}
{{- printf "%s@%s" $repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Cross-field checks of controller.*; included from controller-deployment.yaml. */}}
{{- define "kds-webhook.controllerValidate" -}}
{{- $c := .Values.controller -}}
{{- if and (not $c.leaderElect) (gt (int $c.replicas) 1) -}}
{{- fail (printf "controller.leaderElect=false needs controller.replicas: 1 (not %d): without leader election every replica reconciles and they fight over the same objects" (int $c.replicas)) -}}
{{- end -}}
{{- end -}}
