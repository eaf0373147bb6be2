/// <reference path="../../workers/documents/report-font.d.ts" />
