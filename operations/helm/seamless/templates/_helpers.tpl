{{/*
Names, labels and the environment shared by the Seamless templates.
*/}}

{{/* The release-scoped base name of every object, at most 63 characters: the release name when it already says "seamless". */}}
{{- define "seamless.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "seamless.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "seamless.labels" -}}
{{ include "seamless.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{- define "seamless.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "seamless.configMapName" -}}
{{- printf "%s-config" (include "seamless.fullname" .) -}}
{{- end -}}

{{- define "seamless.coordinatorName" -}}
{{- printf "%s-coordinator" (include "seamless.fullname" .) -}}
{{- end -}}

{{/* The coordinator Service's URL, as the workers reach it. */}}
{{- define "seamless.coordinatorUrl" -}}
{{- printf "http://%s:%v" (include "seamless.coordinatorName" .) .Values.coordinator.service.port -}}
{{- end -}}

{{/* The postgresql dependency's Service and Secret (bitnami naming: <release>-postgresql). */}}
{{- define "seamless.postgresql.host" -}}
{{- printf "%s-postgresql" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "seamless.postgresql.secretName" -}}
{{- if .Values.postgresql.auth.existingSecret -}}
{{- .Values.postgresql.auth.existingSecret -}}
{{- else -}}
{{- include "seamless.postgresql.host" . -}}
{{- end -}}
{{- end -}}

{{/*
SEAMLESS_STORAGE_URL for the gateway and the coordinator, which open PostgreSQL: built from the
dependency's generated password (Kubernetes expands $(PGPASSWORD)), or read whole from
externalDatabase.existingSecret.
*/}}
{{- define "seamless.storageEnv" -}}
{{- if .Values.postgresql.enabled -}}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "seamless.postgresql.secretName" . | quote }}
      key: password
- name: SEAMLESS_STORAGE_URL
  value: {{ printf "postgres://%s:$(PGPASSWORD)@%s:5432/%s" .Values.postgresql.auth.username (include "seamless.postgresql.host" .) .Values.postgresql.auth.database | quote }}
{{- else -}}
- name: SEAMLESS_STORAGE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "externalDatabase.existingSecret: name the Secret holding the postgres:// URL (or set postgresql.enabled)" .Values.externalDatabase.existingSecret | quote }}
      key: {{ .Values.externalDatabase.secretKey | quote }}
{{- end -}}
{{- end -}}

{{/* Pod annotations: a checksum of the configuration (a change rolls the pods) and the Prometheus scrape hints. */}}
{{- define "seamless.podAnnotations" -}}
checksum/config: {{ tpl (toYaml .Values.config) . | sha256sum }}
{{- if .Values.metrics.scrape }}
prometheus.io/scrape: "true"
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* Fails the install early, with the fix named, instead of pods crash-looping. */}}
{{- define "seamless.validateValues" -}}
{{- if not .Values.config.auth.keys -}}
{{- fail "config.auth.keys is empty: the gateway and coordinator listen on 0.0.0.0 and need at least one API key (and the workers' key needs the backfill scope); see docs/operations/deployment.md" -}}
{{- end -}}
{{- if not .Values.apiKey.existingSecret -}}
{{- fail "apiKey.existingSecret: name the Secret holding the workers' API key (kubectl create secret generic seamless-api-key --from-literal=api-key=...)" -}}
{{- end -}}
{{- end -}}
